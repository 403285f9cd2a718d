import Foundation
import Synchronization

/// What a store's process knows of the store's version (`store_version`), for every backend:
/// a commit here moves it at once; another process's commit when the backend tells it
/// (PostgreSQL's NOTIFY) or when it reads the version again, at most once per `checkInterval`
/// (one caller reads, the others go on with the version known). Keeps this process's latest
/// commits, so that a cache asking what changed is answered without a read.
final class StoreVersion: Sendable {
    private let state = Mutex<(value: UInt64, checkedAt: ContinuousClock.Instant?, checking: Bool)>((0, nil, false))
    /// This process's latest commits, consecutive versions, newest last.
    private let recent = Mutex<[StoreChange]>([])
    static let recentKept = 1024
    let checkInterval: Duration
    /// Whether a due read runs beside the caller (which goes on with the version known)
    /// rather than before it returns: where the backend tells of other processes' commits
    /// (NOTIFY), the periodic read is only a safety net, and a request waiting on a database
    /// round trip on a loaded machine was the lookups' slowest (100 ms and more).
    let readsInBackground: Bool

    init(checkInterval: Duration, readsInBackground: Bool = false) {
        self.checkInterval = checkInterval
        self.readsInBackground = readsInBackground
    }

    /// The version known, reading it with `read` when it was last read more than
    /// `checkInterval` ago (the first read is always waited for).
    func current(read: @escaping @Sendable () async -> UInt64?) async -> UInt64 {
        let now = ContinuousClock.now
        let (known, check, first) = state.withLock { state -> (UInt64, Bool, Bool) in
            if state.checking { return (state.value, false, false) }
            if let at = state.checkedAt, now - at < checkInterval { return (state.value, false, false) }
            state.checking = true
            return (state.value, true, state.checkedAt == nil)
        }
        guard check else { return known }
        if readsInBackground && !first {
            Task { self.record(await read(), checkedAt: now) }
            return known
        }
        return record(await read(), checkedAt: now)
    }

    @discardableResult
    private func record(_ read: UInt64?, checkedAt: ContinuousClock.Instant) -> UInt64 {
        state.withLock { state in
            state.value = max(state.value, read ?? 0)
            state.checkedAt = checkedAt
            state.checking = false
            return state.value
        }
    }

    var known: UInt64 { state.withLock { $0.value } }

    /// Another process committed `version` (a notification said so).
    func advance(to version: UInt64) {
        state.withLock { state in state.value = max(state.value, version) }
    }

    /// This process committed `change`.
    func learn(_ committed: StoreChange) {
        recent.withLock { recent in
            if let last = recent.last, last.version + 1 == committed.version {
                recent.append(committed)
                if recent.count > Self.recentKept { recent.removeFirst(recent.count - Self.recentKept) }
            } else {
                recent = [committed]
            }
        }
        advance(to: committed.version)
    }

    /// The changes after `version` from this process's own commits, when they reach as far
    /// as the version known; nil when the store must be read.
    func remembered(after version: UInt64, limit: Int) -> [StoreChange]? {
        let known = self.known
        return recent.withLock { recent -> [StoreChange]? in
            guard let first = recent.first, first.version <= version + 1, let last = recent.last, last.version >= known else { return nil }
            return Array(recent.lazy.filter { $0.version > version }.prefix(limit))
        }
    }

    /// A change's scopes as stored: `*`, or one scope a line.
    static func text(of scopes: Set<ChangeScope>) -> String {
        scopes.contains(.everything) ? "*" : scopes.map(\.text).sorted().joined(separator: "\n")
    }

    static func change(version: UInt64, text: String) -> StoreChange {
        // An unreadable scope counts as everything: a cache then forgets too much, never too little.
        StoreChange(version: version, scopes: Set(text.split(separator: "\n").map { ChangeScope(text: $0) ?? .everything }))
    }

    /// How many changes `store_changes` keeps.
    static let changesKept: UInt64 = 4096
}
