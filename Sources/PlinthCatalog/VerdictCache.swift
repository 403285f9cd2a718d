import Foundation
import PlinthCore
import Synchronization

/// Recent lookup answers, so that the question CI asks thousands of times a day costs
/// a dictionary read.
///
/// An answer is reused while the store's generation is unchanged (a commit in this process
/// invalidates it at once) and never past the moment its verdict changes by the clock (a
/// grace period ending). Writes by another process sharing the database are not seen by
/// the generation, so an answer is also refreshed after `ttl`: the first request after that
/// recomputes it while concurrent requests keep the previous answer for at most another
/// `ttl` (without that, every in-flight request recomputed at once each second, which was
/// the whole p99 of the lookup benchmark). Another process's write is visible within about 3 s (the revocations in force are kept the same way, one layer below).
final class VerdictCache: Sendable {
    struct Slot: Sendable {
        var generation: UInt64
        var freshUntil: Date
        /// When the verdict itself may change by the clock: never served past this.
        var validUntil: Date
        var refreshing: Bool
        var answer: DigestAnswer
    }

    static let ttl: TimeInterval = 1
    static let capacity = 10_000
    private let slots = Mutex<[Digest: Slot]>([:])
    /// The revocations in force, kept like an answer (same generation, same `ttl`).
    private let revocationsSlot = Mutex<(generation: UInt64, freshUntil: Date, value: [Digest: Revocation])?>(nil)

    func revocations(generation: UInt64, now: Date) -> [Digest: Revocation]? {
        revocationsSlot.withLock { slot in
            guard let slot, slot.generation == generation, now < slot.freshUntil else { return nil }
            return slot.value
        }
    }

    func store(revocations: [Digest: Revocation], generation: UInt64, now: Date) {
        revocationsSlot.withLock { $0 = (generation, now.addingTimeInterval(Self.ttl), revocations) }
    }

    /// The cached answer, or nil when the caller must compute (and then `store`) it.
    func answer(for digest: Digest, generation: UInt64, now: Date) -> DigestAnswer? {
        slots.withLock { slots in
            guard var slot = slots[digest], slot.generation == generation, now < slot.validUntil else { return nil }
            if now < slot.freshUntil { return slot.answer }
            if slot.refreshing, now < slot.freshUntil.addingTimeInterval(Self.ttl) { return slot.answer }
            // This caller refreshes; the others keep the stale answer meanwhile.
            slot.refreshing = true
            slots[digest] = slot
            return nil
        }
    }

    func store(_ answer: DigestAnswer, for digest: Digest, generation: UInt64, now: Date) {
        let slot = Slot(
            generation: generation, freshUntil: now.addingTimeInterval(Self.ttl), validUntil: [answer.verdict.changesAt, answer.health?.nextDrop].compactMap { $0 }.min() ?? .distantFuture,
            refreshing: false, answer: answer)
        slots.withLock { slots in
            if slots.count >= Self.capacity { slots.removeAll(keepingCapacity: true) }
            slots[digest] = slot
        }
    }
}
