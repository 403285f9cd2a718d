import Metrics
import Foundation
import PlinthCore
import PlinthStore
import Synchronization

/// Recent lookup answers, so that the question CI asks thousands of times a day costs
/// a dictionary read, and the other values lists and pages read on every request.
///
/// Every value is kept with the store's generation it was made at and what it was made
/// from (`Dependencies`: entries, digests, or every entry or digest). After later changes
/// it is still served when none of them touched what it was made from (`ChangeLog`, read
/// from the store's `changes(after:)`, so changes by other processes and replicas count
/// too): a curator holding a Debian tag leaves Alpine's answers, its view in the lists and
/// the entries' documents standing, and a list rebuilt after the change decodes and judges
/// only the entry it touched. A value is never served past the moment it may change by the
/// clock (a grace period ending, a health grade dropping, an exception expiring).
final class VerdictCache: Sendable {
    /// The changes the store committed, as far back as this process has read them, so that
    /// a value made before a change is kept when the change touched nothing it depends on.
    struct ChangeLog: Sendable {
        /// The log covers every change after this version (nil until the first is known).
        var since: UInt64?
        var latest: UInt64 = 0
        var changes: [StoreChange] = []
        static let kept = 4096

        /// Whether any change after `from`, through `to`, touches what a value was made
        /// from; nil when the log does not cover them all.
        func touches(from: UInt64, to: UInt64, _ dependencies: Dependencies) -> Bool? {
            guard let since, from >= since, to <= latest else { return nil }
            var low = changes.startIndex, high = changes.endIndex
            while low < high {
                let mid = (low + high) / 2
                if changes[mid].version <= from { low = mid + 1 } else { high = mid }
            }
            for change in changes[low...] {
                if change.version > to { break }
                if dependencies.anyChange { return true }
                for scope in change.scopes where dependencies.touched(by: scope) { return true }
            }
            return false
        }
    }

    /// What a kept value was made from: a change touching none of it leaves the value standing.
    /// A change that may touch anything (`ChangeScope.everything`: an entry's document,
    /// advisories) touches every value.
    struct Dependencies: Sendable, Hashable {
        var entries: Set<String> = []
        var digests: Set<Digest> = []
        /// Made from every entry's tags, approvals, holds or runs (a list over all of them).
        var everyEntry = false
        /// Made from every digest's facts (the revocations in force).
        var everyDigest = false
        /// Made from everything the store records, its audit log included.
        var anyChange = false

        /// Made only from the entries' documents (and advisories): a curator's decision or a
        /// sync leaves it standing.
        static let documents = Dependencies()
        static let everything = Dependencies(anyChange: true)

        func touched(by scope: ChangeScope) -> Bool {
            switch scope {
            case .everything: true
            case .entry(let name): everyEntry || entries.contains(name)
            case .digest(let digest): everyDigest || digests.contains(digest)
            }
        }

        mutating func formUnion(_ other: Dependencies) {
            entries.formUnion(other.entries)
            digests.formUnion(other.digests)
            everyEntry = everyEntry || other.everyEntry
            everyDigest = everyDigest || other.everyDigest
            anyChange = anyChange || other.anyChange
        }
    }

    /// Values by key, each kept with the generation it was made at, until when the clock
    /// lets it stand, and what it was made from.
    final class Kept<Key: Hashable & Sendable, Value: Sendable>: Sendable {
        struct Slot: Sendable {
            var generation: UInt64
            var validUntil: Date
            var value: Value
            var dependencies: Dependencies
        }

        private let slots = Mutex<[Key: Slot]>([:])
        private let journal: Journal
        let capacity: Int

        fileprivate init(_ journal: Journal, capacity: Int) {
            self.journal = journal
            self.capacity = capacity
        }

        /// The value kept for `key`, if nothing it was made from changed up to `generation`
        /// and the clock has not passed its end.
        func value(for key: Key, generation: UInt64, now: Date) -> Value? {
            slots.withLock { slots in
                guard var slot = slots[key], now < slot.validUntil else { return nil }
                if slot.generation == generation { return slot.value }
                // Made before later changes: still right if none of them touched what it was made from.
                guard slot.generation < generation,
                    journal.log.withLock({ $0.touches(from: slot.generation, to: generation, slot.dependencies) }) == false
                else { return nil }
                slot.generation = generation
                slots[key] = slot
                return slot.value
            }
        }

        /// The value last kept for `key`, however stale.
        func last(for key: Key) -> Value? { slots.withLock { $0[key]?.value } }

        func store(_ value: Value, for key: Key, generation: UInt64, validUntil: Date = .distantFuture, dependencies: Dependencies) {
            slots.withLock { slots in
                if slots.count >= capacity, slots[key] == nil { slots.removeAll(keepingCapacity: true) }
                slots[key] = Slot(generation: generation, validUntil: validUntil, value: value, dependencies: dependencies)
            }
        }
    }

    /// The key of a cache that keeps one value.
    struct One: Hashable, Sendable {}

    /// The change log every cache here reads.
    final class Journal: Sendable {
        let log = Mutex(ChangeLog())
    }

    private let journal = Journal()

    /// The version the change log has read through, or nil before it has a starting point.
    var loggedThrough: UInt64? { journal.log.withLock { $0.since == nil ? nil : $0.latest } }

    static let capacity = 10_000

    /// Lookup answers, by digest.
    let answers: Kept<Digest, DigestAnswer>
    /// Every entry's document, by name: lists, pages, check and pin filter it instead of
    /// decoding every entry per request.
    let entries: Kept<One, (version: String, entries: [StoredEntry], facets: Facets)>
    /// Entries' views (lists and the catalog page), by name.
    let views: Kept<String, ImageView>
    /// The matrix the pages show, by the cells kept per workload.
    let pageMatrix: Kept<Int, SupportMatrix>
    /// Every workload's row of the matrix, ungraded (made from the entries' documents).
    let matrixRows: Kept<One, [SupportMatrix.Row]>
    /// The revocations in force.
    let revocations: Kept<One, [Digest: Revocation]>
    /// The digests waiting for a decision.
    let reviewQueue: Kept<One, [PendingDigest]>
    /// What `/metrics` reads from the store.
    let gauges: Kept<One, CatalogGauges>
    /// Whether the audit chain verifies (the audit page shows it).
    let auditVerification: Kept<One, AuditChain.Verification>
    /// Diffs between two digests (changelogs summarise every move).
    let diffs: Kept<DiffKey, DigestDiff>

    struct DiffKey: Hashable, Sendable { var from, to: Digest }

    /// Answers being computed, by digest and generation: a miss that finds one waits for it
    /// instead of computing the same answer again (one request computes, the others wait).
    let computing = Mutex<[ComputingKey: Task<DigestAnswer, any Error>]>([:])
    /// Views being computed, by the entries missing (name and revision) and generation: lists
    /// of the same page after a change share one computation.
    let computingViews = Mutex<[ViewsKey: Task<[String: ImageView], any Error>]>([:])
    struct ViewsKey: Hashable, Sendable {
        var entries: [String]
        var generation: UInt64
    }
    /// Answers computed by this process (for tests of the above).
    let computations = Atomic<Int>(0)
    struct ComputingKey: Hashable, Sendable {
        var digest: Digest
        var generation: UInt64
    }

    /// Lookups answered from the cache, and computed (swift-metrics; `/metrics` shows them).
    let hits = Counter(label: "plinth_verdict_cache_hits_total")
    let misses = Counter(label: "plinth_verdict_cache_misses_total")

    init() {
        answers = Kept(journal, capacity: Self.capacity)
        entries = Kept(journal, capacity: 1)
        views = Kept(journal, capacity: Self.capacity)
        pageMatrix = Kept(journal, capacity: 16)
        matrixRows = Kept(journal, capacity: 1)
        revocations = Kept(journal, capacity: 1)
        reviewQueue = Kept(journal, capacity: 1)
        auditVerification = Kept(journal, capacity: 1)
        gauges = Kept(journal, capacity: 1)
        diffs = Kept(journal, capacity: Self.capacity)
    }

    /// Starts the log at `version` (values made before it are not reused), or extends it
    /// with the changes read after its latest; a gap restarts it.
    func record(_ changes: [StoreChange], through version: UInt64) {
        journal.log.withLock { log in
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

    /// The read of the store's changes under way, and the version it reads through.
    private let reading = Mutex<(through: UInt64, task: Task<Void, any Error>)?>(nil)

    /// Records the changes `read` returns through `generation`, unless a read already under
    /// way reaches as far: then waits for that one.
    func catchUp(to generation: UInt64, read: @escaping @Sendable () async throws -> [StoreChange]) async throws {
        let task = reading.withLock { underWay -> Task<Void, any Error> in
            if let current = underWay, current.through >= generation { return current.task }
            let task = Task { [self] in
                defer { reading.withLock { if $0?.through == generation { $0 = nil } } }
                record(try await read(), through: generation)
            }
            underWay = (generation, task)
            return task
        }
        try await task.value
    }

    /// The cached answer, or nil when the caller must compute (and then `store`) it.
    func answer(for digest: Digest, generation: UInt64, now: Date) -> DigestAnswer? {
        answers.value(for: digest, generation: generation, now: now)
    }

    /// What an answer depends on: the entries whose tags judged it (for a platform manifest,
    /// its index's), and the digest, its index and its platform manifests; with `considered`,
    /// what else it was compared against.
    static func dependencies(of answer: DigestAnswer, considered: Dependencies = Dependencies()) -> Dependencies {
        var digests: Set<Digest> = [answer.digest]
        if let index = answer.index { digests.insert(index) }
        for platform in answer.platforms { digests.insert(platform.digest) }
        if let revoked = answer.verdict.revocation?.manifest { digests.insert(revoked) }
        var dependencies = Dependencies(entries: Set(answer.verdict.standings.map(\.image)), digests: digests)
        dependencies.formUnion(considered)
        return dependencies
    }

    /// The first moment an answer may change by the clock: its verdict (a grace period
    /// ending), its grade dropping, an exception expiring.
    static func validUntil(of answer: DigestAnswer) -> Date {
        [answer.verdict.changesAt, answer.health?.nextDrop, answer.health?.exceptionExpires].compactMap { $0 }.min() ?? .distantFuture
    }

    func store(_ answer: DigestAnswer, for digest: Digest, generation: UInt64, now: Date, considered: Dependencies = Dependencies()) {
        answers.store(
            answer, for: digest, generation: generation, validUntil: Self.validUntil(of: answer),
            dependencies: Self.dependencies(of: answer, considered: considered))
    }
}

extension VerdictCache.Kept where Key == VerdictCache.One {
    func value(generation: UInt64, now: Date = .distantPast) -> Value? { value(for: .init(), generation: generation, now: now) }

    /// The value last kept, however stale.
    var last: Value? { last(for: .init()) }

    /// The kept value, or `compute`'s (then kept, made from `dependencies`).
    func value(generation: UInt64, dependencies: VerdictCache.Dependencies, compute: () async throws -> Value) async rethrows -> Value {
        if let kept = value(generation: generation) { return kept }
        let value = try await compute()
        store(value, for: .init(), generation: generation, dependencies: dependencies)
        return value
    }
}
