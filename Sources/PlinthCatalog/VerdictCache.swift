import Foundation
import PlinthCore
import Synchronization

/// Recent lookup answers, so that the question CI asks thousands of times a day costs
/// a dictionary read. An answer is reused while the store's generation is unchanged, for
/// at most `ttl` (writes by another process reach this one within that time) and never
/// past the moment its verdict changes by the clock (a grace period ending).
final class VerdictCache: Sendable {
    struct Slot: Sendable {
        var generation: UInt64
        var expires: Date
        var answer: DigestAnswer
    }

    static let ttl: TimeInterval = 1
    static let capacity = 10_000
    private let slots = Mutex<[Digest: Slot]>([:])

    func answer(for digest: Digest, generation: UInt64, now: Date) -> DigestAnswer? {
        slots.withLock { slots in
            guard let slot = slots[digest], slot.generation == generation, now < slot.expires else { return nil }
            return slot.answer
        }
    }

    func store(_ answer: DigestAnswer, for digest: Digest, generation: UInt64, now: Date) {
        var expires = now.addingTimeInterval(Self.ttl)
        if let change = answer.verdict.changesAt, change < expires { expires = change }
        slots.withLock { slots in
            if slots.count >= Self.capacity { slots.removeAll(keepingCapacity: true) }
            slots[digest] = Slot(generation: generation, expires: expires, answer: answer)
        }
    }
}
