import Foundation
import PlinthCore
import PlinthStore
import Synchronization

/// Recent lookup answers, so that the question CI asks thousands of times a day costs
/// a dictionary read, and the other values lists and pages read on every request.
///
/// An answer is reused while the store's generation is unchanged, and after a change that
/// touched none of the entries and digests it was made from (`ChangeLog`, read from the
/// store's `changes(after:)`, so changes by other processes count too). Other values are
/// reused while the store's generation is unchanged: a commit in this process
/// moves it at once, another process's commit within a second (`SQLiteStore.generation()`
/// reads the database's version at most once a second). Before, values were refreshed
/// every second in case another process had written, and at 2,000 entries that refresh
/// (hundreds of answers, every entry decoded again) was most of a page's p99. An answer is
/// never served past the moment its verdict changes by the clock (a grace period ending)
/// or its health grade drops.
final class VerdictCache: Sendable {
    struct Slot: Sendable {
        var generation: UInt64
        /// When the verdict itself may change by the clock: never served past this.
        var validUntil: Date
        var answer: DigestAnswer
        /// What the answer was made from: a change touching none of these leaves it standing.
        var entries: Set<String>
        var digests: Set<Digest>
    }

    /// The changes the store committed, as far back as this process has read them, so that
    /// an answer made before a change is kept when the change touched nothing it depends on.
    struct ChangeLog: Sendable {
        /// The log covers every change after this version (nil until the first is known).
        var since: UInt64?
        var latest: UInt64 = 0
        var changes: [StoreChange] = []
        static let kept = 4096

        /// Whether any change after `from`, through `to`, touches what an answer was made
        /// from; nil when the log does not cover them all.
        func touches(from: UInt64, to: UInt64, entries: Set<String>, digests: Set<Digest>) -> Bool? {
            guard let since, from >= since, to <= latest else { return nil }
            var low = changes.startIndex, high = changes.endIndex
            while low < high {
                let mid = (low + high) / 2
                if changes[mid].version <= from { low = mid + 1 } else { high = mid }
            }
            for change in changes[low...] {
                if change.version > to { break }
                for scope in change.scopes {
                    switch scope {
                    case .everything: return true
                    case .entry(let name) where entries.contains(name): return true
                    case .digest(let digest) where digests.contains(digest): return true
                    default: continue
                    }
                }
            }
            return false
        }
    }

    private let log = Mutex(ChangeLog())

    /// The version the change log has read through, or nil before it has a starting point.
    var loggedThrough: UInt64? { log.withLock { $0.since == nil ? nil : $0.latest } }

    /// Starts the log at `version` (answers before it are not reused), or extends it with
    /// the changes read after its latest; a gap restarts it.
    func record(_ changes: [StoreChange], through version: UInt64) {
        log.withLock { log in
            guard log.since != nil else {
                log = ChangeLog(since: version, latest: version)
                return
            }
            guard version > log.latest else { return }  // another caller read them first
            let fresh = changes.filter { $0.version > log.latest && $0.version <= version }
            // Versions are consecutive; a gap (changes no longer kept) restarts the log.
            guard fresh.first?.version == log.latest + 1, fresh.last?.version == version,
                zip(fresh, fresh.dropFirst()).allSatisfy({ $0.version + 1 == $1.version })
            else {
                log = ChangeLog(since: version, latest: version)
                return
            }
            log.changes += fresh
            log.latest = version
            if log.changes.count > ChangeLog.kept {
                let dropped = log.changes.count - ChangeLog.kept
                log.since = log.changes[dropped - 1].version
                log.changes.removeFirst(dropped)
            }
        }
    }

    static let capacity = 10_000
    private let slots = Mutex<[Digest: Slot]>([:])

    /// Every entry's document, by name: lists, pages, check and pin filter it instead of
    /// decoding every entry per request.
    let entries = GenerationSlot<(version: String, entries: [StoredEntry], facets: Facets)>()
    /// The matrix the pages show, until the generation moves or a grade in it may change by the clock.
    let pageMatrix = GenerationSlot<(cells: Int, matrix: SupportMatrix)>()
    /// The revocations in force.
    let revocations = GenerationSlot<[Digest: Revocation]>()
    /// The digests waiting for a decision.
    let reviewQueue = GenerationSlot<[PendingDigest]>()
    /// Whether the audit chain verifies (the audit page shows it).
    let auditVerification = GenerationSlot<AuditChain.Verification>()
    /// Diffs between two digests (changelogs summarise every move).
    private let diffs = Mutex<[DiffKey: (generation: UInt64, value: DigestDiff)]>([:])

    struct DiffKey: Hashable { var from, to: Digest }

    /// Entries' views (lists and the catalog page), by name, until the generation moves or a
    /// grade in them may change by the clock.
    private let views = Mutex<[String: (generation: UInt64, validUntil: Date, value: ImageView)]>([:])

    func view(of name: String, generation: UInt64, now: Date) -> ImageView? {
        views.withLock { views in
            guard let slot = views[name], slot.generation == generation, now < slot.validUntil else { return nil }
            return slot.value
        }
    }

    func store(_ view: ImageView, generation: UInt64, validUntil: Date) {
        views.withLock { views in
            if views.count >= Self.capacity { views.removeAll(keepingCapacity: true) }
            views[view.entry.name] = (generation, validUntil, view)
        }
    }

    func diff(from: Digest, to: Digest, generation: UInt64) -> DigestDiff? {
        diffs.withLock { diffs in
            guard let slot = diffs[DiffKey(from: from, to: to)], slot.generation == generation else { return nil }
            return slot.value
        }
    }

    func store(_ diff: DigestDiff, from: Digest, to: Digest, generation: UInt64) {
        diffs.withLock { diffs in
            if diffs.count >= Self.capacity { diffs.removeAll(keepingCapacity: true) }
            diffs[DiffKey(from: from, to: to)] = (generation, diff)
        }
    }

    /// The cached answer, or nil when the caller must compute (and then `store`) it.
    func answer(for digest: Digest, generation: UInt64, now: Date) -> DigestAnswer? {
        slots.withLock { slots in
            guard var slot = slots[digest], now < slot.validUntil else { return nil }
            if slot.generation == generation { return slot.answer }
            // Made before later changes: still right if none of them touched what it was made from.
            guard slot.generation < generation,
                log.withLock({ $0.touches(from: slot.generation, to: generation, entries: slot.entries, digests: slot.digests) }) == false
            else { return nil }
            slot.generation = generation
            slots[digest] = slot
            return slot.answer
        }
    }

    /// Entries and digests an answer was made from.
    struct Dependencies: Sendable {
        var entries: Set<String> = []
        var digests: Set<Digest> = []
    }

    /// What an answer depends on: the entries whose tags judged it (for a platform manifest,
    /// its index's), and the digest, its index and its platform manifests; with `considered`,
    /// what else it was compared against.
    static func dependencies(of answer: DigestAnswer, considered: Dependencies = Dependencies()) -> Dependencies {
        var digests: Set<Digest> = [answer.digest]
        if let index = answer.index { digests.insert(index) }
        for platform in answer.platforms { digests.insert(platform.digest) }
        if let revoked = answer.verdict.revocation?.manifest { digests.insert(revoked) }
        return Dependencies(entries: Set(answer.verdict.standings.map(\.image)).union(considered.entries), digests: digests.union(considered.digests))
    }

    func store(_ answer: DigestAnswer, for digest: Digest, generation: UInt64, now: Date, considered: Dependencies = Dependencies()) {
        let dependencies = Self.dependencies(of: answer, considered: considered)
        let moments = [answer.verdict.changesAt, answer.health?.nextDrop, answer.health?.exceptionExpires]
        let slot = Slot(
            generation: generation, validUntil: moments.compactMap { $0 }.min() ?? .distantFuture,
            answer: answer, entries: dependencies.entries, digests: dependencies.digests)
        slots.withLock { slots in
            if slots.count >= Self.capacity { slots.removeAll(keepingCapacity: true) }
            slots[digest] = slot
        }
    }
}

/// One value kept like an answer, while the store's generation is unchanged (and, if the
/// value says so, until a moment: a grade that drops by the clock).
final class GenerationSlot<Value: Sendable>: Sendable {
    private let slot = Mutex<(generation: UInt64, validUntil: Date, value: Value)?>(nil)

    func value(generation: UInt64, now: Date = .distantPast) -> Value? {
        slot.withLock { slot in
            guard let slot, slot.generation == generation, now < slot.validUntil else { return nil }
            return slot.value
        }
    }

    /// The value last kept, however stale.
    var last: Value? { slot.withLock { $0?.value } }

    func store(_ value: Value, generation: UInt64, validUntil: Date = .distantFuture) {
        slot.withLock { $0 = (generation, validUntil, value) }
    }

    /// The kept value, or `compute`'s (then kept).
    func value(generation: UInt64, compute: () async throws -> Value) async rethrows -> Value {
        if let kept = value(generation: generation) { return kept }
        let value = try await compute()
        store(value, generation: generation)
        return value
    }
}
