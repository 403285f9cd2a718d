import Foundation
@testable import PlinthCore
import PlinthStore
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

    /// An answer made before a change stands when the change touched neither its entries nor
    /// its digests, and goes when it touched either (or anything), or when the log has a gap.
    @Test func aChangeForgetsOnlyTheAnswersItTouches() {
        let cache = VerdictCache()
        let judged = answer(graceUntil: t0.addingTimeInterval(86_400))  // judged by entry "x"
        let other = try! Digest(parsing: "sha256:" + String(repeating: "e", count: 64))
        cache.record([], through: 1)
        cache.store(judged, for: digest, generation: 1, now: t0)
        cache.record([StoreChange(version: 2, scopes: [.entry("y"), .digest(other)])], through: 2)
        #expect(cache.answer(for: digest, generation: 2, now: t0) == judged)
        cache.record([StoreChange(version: 3, scopes: [])], through: 3)  // a token, say
        #expect(cache.answer(for: digest, generation: 3, now: t0) == judged)
        cache.record([StoreChange(version: 4, scopes: [.entry("x")])], through: 4)
        #expect(cache.answer(for: digest, generation: 4, now: t0) == nil)

        for scopes: Set<ChangeScope> in [[.digest(digest)], [.everything]] {
            cache.store(judged, for: digest, generation: 4, now: t0)
            let version = cache.loggedThrough! + 1
            cache.record([StoreChange(version: version, scopes: scopes)], through: version)
            #expect(cache.answer(for: digest, generation: version, now: t0) == nil, "\(scopes)")
        }
        // A gap (changes the store no longer keeps) restarts the log: nothing older is reused.
        cache.store(judged, for: digest, generation: 6, now: t0)
        cache.record([StoreChange(version: 9, scopes: [.entry("y")])], through: 9)
        #expect(cache.answer(for: digest, generation: 9, now: t0) == nil)
        // Reading the same changes twice (two callers at once) keeps the log whole.
        cache.store(judged, for: digest, generation: 9, now: t0)
        cache.record([StoreChange(version: 10, scopes: [.entry("y")])], through: 10)
        cache.record([StoreChange(version: 10, scopes: [.entry("y")])], through: 10)
        #expect(cache.answer(for: digest, generation: 10, now: t0) == judged)
    }

    /// A platform manifest is judged through every index that lists it: a change to an
    /// index or entry that lost the comparison may make it win, so it counts too.
    @Test func whatAnAnswerWasComparedAgainstCounts() {
        let cache = VerdictCache()
        let loser = try! Digest(parsing: "sha256:" + String(repeating: "f", count: 64))
        cache.record([], through: 1)
        for (version, scope) in [(2, ChangeScope.entry("b")), (3, ChangeScope.digest(loser))] {
            cache.store(answer(graceUntil: t0.addingTimeInterval(86_400)), for: digest, generation: UInt64(version - 1), now: t0,
                considered: .init(entries: ["b"], digests: [loser]))
            cache.record([StoreChange(version: UInt64(version), scopes: [scope])], through: UInt64(version))
            #expect(cache.answer(for: digest, generation: UInt64(version), now: t0) == nil, "\(scope)")
        }
    }

    /// An exception that hides a finding expires by the clock: the answer is not served past it.
    @Test func neverServedPastAnExceptionsExpiry() {
        let cache = VerdictCache()
        var judged = answer()
        judged.health = DigestHealth(grade: .A, nextDrop: nil, advisories: [:], note: nil, exceptionExpires: t0.addingTimeInterval(10))
        cache.store(judged, for: digest, generation: 1, now: t0)
        #expect(cache.answer(for: digest, generation: 1, now: t0.addingTimeInterval(9)) != nil)
        #expect(cache.answer(for: digest, generation: 1, now: t0.addingTimeInterval(10)) == nil)
    }

    /// A value made from the entries' documents outlives curators' decisions and syncs; one
    /// made from every entry's records goes with any entry's change; one made from everything
    /// goes with any change at all (a token, which touches no answer, included).
    @Test func aKeptValueGoesOnlyWithWhatItWasMadeFrom() async {
        let cache = VerdictCache()
        let documents = cache.revocations, everyEntry = cache.reviewQueue, everything = cache.auditVerification
        cache.record([], through: 1)
        #expect(await documents.value(generation: 1, dependencies: .documents) { [:] } == [:])
        #expect(await everyEntry.value(generation: 1, dependencies: .init(everyEntry: true)) { [] } == [])
        _ = await everything.value(generation: 1, dependencies: .everything) { .valid(events: 1, head: "h") }
        cache.record([StoreChange(version: 2, scopes: [])], through: 2)
        #expect(documents.value(generation: 2) != nil)
        #expect(everyEntry.value(generation: 2) != nil)
        #expect(everything.value(generation: 2) == nil)
        cache.record([StoreChange(version: 3, scopes: [.entry("x"), .digest(digest)])], through: 3)
        #expect(documents.value(generation: 3) != nil)
        #expect(everyEntry.value(generation: 3) == nil)
        cache.record([StoreChange(version: 4, scopes: [.everything])], through: 4)
        #expect(documents.value(generation: 4) == nil)
        #expect(documents.last == [:])
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
