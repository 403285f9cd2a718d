import Foundation
import PlinthCore
import PlinthStore
import Synchronization

/// Recent lookup answers, so that the question CI asks thousands of times a day costs
/// a dictionary read, and the other values lists and pages read on every request.
///
/// A value is reused while the store's generation is unchanged: a commit in this process
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
            guard let slot = slots[digest], slot.generation == generation, now < slot.validUntil else { return nil }
            return slot.answer
        }
    }

    func store(_ answer: DigestAnswer, for digest: Digest, generation: UInt64, now: Date) {
        let slot = Slot(
            generation: generation, validUntil: [answer.verdict.changesAt, answer.health?.nextDrop].compactMap { $0 }.min() ?? .distantFuture,
            answer: answer)
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
