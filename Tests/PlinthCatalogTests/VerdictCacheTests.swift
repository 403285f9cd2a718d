import Foundation
@testable import PlinthCore
import Testing

@testable import PlinthCatalog

@Suite("Verdict cache")
struct VerdictCacheTests {
    let digest = try! Digest(parsing: "sha256:" + String(repeating: "c", count: 64))
    let t0 = Date(timeIntervalSince1970: 1_790_000_000)

    func answer(graceUntil: Date? = nil) -> DigestAnswer {
        var verdict = DigestVerdict.unknown(digest)
        if let graceUntil {
            verdict.verdict = .superseded
            verdict.standings = [
                TagVerdict(
                    image: "x", repository: "r", tag: "t", verdict: .superseded, currentDigest: nil, supersededAt: t0, graceUntil: graceUntil,
                    approval: nil, firstSeen: t0, lastSeen: t0)
            ]
        }
        return DigestAnswer(digest: digest, verdict: verdict, kind: .index, mediaType: nil, platform: nil, index: nil, platforms: [], firstSeen: nil, lastSeen: nil)
    }

    @Test func aCommitInvalidatesAtOnce() {
        let cache = VerdictCache()
        cache.store(answer(), for: digest, generation: 1, now: t0)
        #expect(cache.answer(for: digest, generation: 1, now: t0) != nil)
        #expect(cache.answer(for: digest, generation: 2, now: t0) == nil)
    }

    @Test func aKeptValueLastsUntilTheGenerationMoves() async {
        let slot = GenerationSlot<Int>()
        #expect(await slot.value(generation: 1) { 10 } == 10)
        #expect(await slot.value(generation: 1) { 11 } == 10)
        #expect(await slot.value(generation: 2) { 12 } == 12)
        #expect(slot.last == 12)
    }

    @Test func neverServedPastTheEndOfAGracePeriod() {
        let cache = VerdictCache()
        let graceEnd = t0.addingTimeInterval(0.5)
        cache.store(answer(graceUntil: graceEnd), for: digest, generation: 1, now: t0)
        #expect(cache.answer(for: digest, generation: 1, now: t0.addingTimeInterval(0.4)) != nil)
        #expect(cache.answer(for: digest, generation: 1, now: graceEnd) == nil)
        #expect(cache.answer(for: digest, generation: 1, now: graceEnd) == nil)  // no stale serving either
    }
}
