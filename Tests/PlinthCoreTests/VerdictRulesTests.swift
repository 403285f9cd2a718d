import Foundation
import Testing

@testable import PlinthCore

@Suite("Verdict rules")
struct VerdictRulesTests {
    static func digest(_ n: Int) -> Digest { try! Digest(parsing: "sha256:" + String(repeating: String(n % 10), count: 64)) }
    static func day(_ n: Double) -> Date { Date(timeIntervalSince1970: 1_790_000_000 + n * 86_400) }

    let a = digest(1), b = digest(2), c = digest(3), unseen = digest(9)

    func lineage(_ digests: [TagDigest], tag: String = "bookworm-slim", image: String = "debian-bookworm-slim", grace: Int = 14) -> TagLineage {
        TagLineage(image: image, repository: "docker.io/library/debian", tag: tag, graceDays: grace, digests: digests)
    }

    func seen(_ d: Digest, day n: Double, approvedOn approvedDay: Double? = nil) -> TagDigest {
        TagDigest(digest: d, firstSeen: Self.day(n), lastSeen: Self.day(n + 1), approval: approvedDay.map { Approval(by: "curator", at: Self.day($0)) })
    }

    @Test func newestApprovedDigestIsApprovedAndOlderOneSupersededThenExpired() {
        let tag = lineage([seen(a, day: 0, approvedOn: 0), seen(b, day: 10, approvedOn: 10)])
        let current = VerdictRules.evaluate(b, lineages: [tag], revocations: [:], now: Self.day(11))
        #expect(current.verdict == .approved)
        #expect(current.currentDigest == b)

        let inGrace = VerdictRules.evaluate(a, lineages: [tag], revocations: [:], now: Self.day(23))
        #expect(inGrace.verdict == .superseded)
        #expect(inGrace.graceUntil == Self.day(24))
        #expect(inGrace.currentDigest == b)
        #expect(inGrace.verdict.passes)

        let past = VerdictRules.evaluate(a, lineages: [tag], revocations: [:], now: Self.day(24))
        #expect(past.verdict == .expired)
        #expect(!past.verdict.passes)
    }

    @Test func aHoldMakesAnEarlierApprovedDigestCurrentAndSupersedesNewerOnes() {
        var tag = lineage([seen(a, day: 0, approvedOn: 0), seen(b, day: 10, approvedOn: 10), seen(c, day: 20, approvedOn: 20)])
        tag.hold = Hold(digest: a, by: "curator", at: Self.day(21), reason: "c breaks TLS")
        let held = VerdictRules.evaluate(a, lineages: [tag], revocations: [:], now: Self.day(22))
        #expect(held.verdict == .approved)
        #expect(held.currentDigest == a)
        // Newer than the held digest: superseded from the hold, with the tag's grace.
        let newest = VerdictRules.evaluate(c, lineages: [tag], revocations: [:], now: Self.day(22))
        #expect(newest.verdict == .superseded)
        #expect(newest.currentDigest == a)
        #expect(newest.graceUntil == Self.day(35))
        #expect(VerdictRules.evaluate(c, lineages: [tag], revocations: [:], now: Self.day(36)).verdict == .expired)
        // A hold on a digest that was since revoked does not hold: the newest unrevoked approved one is current.
        let revoked = VerdictRules.evaluate(c, lineages: [tag], revocations: [a: Revocation(by: "x", at: Self.day(23), reason: "bad")], now: Self.day(24))
        #expect(revoked.verdict == .approved)
    }

    @Test func manualPolicyKeepsOldDigestApprovedWhileNewIsPending() {
        let tag = lineage([seen(a, day: 0, approvedOn: 0), seen(b, day: 10)])
        #expect(VerdictRules.evaluate(b, lineages: [tag], revocations: [:], now: Self.day(11)).verdict == .pending)
        let old = VerdictRules.evaluate(a, lineages: [tag], revocations: [:], now: Self.day(11))
        #expect(old.verdict == .approved)
        #expect(old.currentDigest == a)
    }

    @Test func graceStartsWhenTheSuccessorIsApprovedNotWhenItIsSeen() {
        // b seen on day 10, approved by a curator on day 20: a is superseded from day 20.
        let tag = lineage([seen(a, day: 0, approvedOn: 0), seen(b, day: 10, approvedOn: 20)])
        let answer = VerdictRules.evaluate(a, lineages: [tag], revocations: [:], now: Self.day(21))
        #expect(answer.verdict == .superseded)
        #expect(answer.graceUntil == Self.day(34))
    }

    @Test func revokedDigestIsRevokedAndThePreviousApprovedOneIsCurrentAgain() {
        let tag = lineage([seen(a, day: 0, approvedOn: 0), seen(b, day: 10, approvedOn: 10)])
        let revocations = [b: Revocation(by: "security", at: Self.day(12), reason: "broken glibc")]
        let revoked = VerdictRules.evaluate(b, lineages: [tag], revocations: revocations, now: Self.day(13))
        #expect(revoked.verdict == .revoked)
        #expect(revoked.revocation?.reason == "broken glibc")
        #expect(revoked.currentDigest == a)
        #expect(VerdictRules.evaluate(a, lineages: [tag], revocations: revocations, now: Self.day(13)).verdict == .approved)
    }

    @Test func sharedDigestGetsItsMostFavourableVerdictAndListsEveryTag() {
        // b is current under 12-slim but superseded by c under bookworm-slim.
        let slim = lineage([seen(a, day: 0, approvedOn: 0), seen(b, day: 10, approvedOn: 10), seen(c, day: 20, approvedOn: 20)])
        let twelve = lineage([seen(b, day: 10, approvedOn: 10)], tag: "12-slim")
        let answer = VerdictRules.evaluate(b, lineages: [slim, twelve], revocations: [:], now: Self.day(21))
        #expect(answer.verdict == .approved)
        #expect(answer.standings.map(\.tag) == ["12-slim", "bookworm-slim"])
        #expect(answer.standings.map(\.verdict) == [.approved, .superseded])
    }

    @Test func sharedDigestRevokedAnywhereIsRevoked() {
        let slim = lineage([seen(b, day: 10, approvedOn: 10)])
        let twelve = lineage([seen(b, day: 10, approvedOn: 10)], tag: "12-slim")
        let answer = VerdictRules.evaluate(b, lineages: [slim, twelve], revocations: [b: Revocation(by: "x", at: Self.day(11), reason: "r")], now: Self.day(12))
        #expect(answer.verdict == .revoked)
    }

    @Test func digestNoTagHasSeenIsUnknown() {
        let tag = lineage([seen(a, day: 0, approvedOn: 0)])
        let answer = VerdictRules.evaluate(unseen, lineages: [tag], revocations: [:], now: Self.day(1))
        #expect(answer.verdict == .unknown)
        #expect(answer.standings.isEmpty)
    }

    @Test func changesAtIsTheEndOfTheEarliestGracePeriod() {
        let tag = lineage([seen(a, day: 0, approvedOn: 0), seen(b, day: 10, approvedOn: 10)], grace: 3)
        #expect(VerdictRules.evaluate(a, lineages: [tag], revocations: [:], now: Self.day(11)).changesAt == Self.day(13))
        #expect(VerdictRules.evaluate(b, lineages: [tag], revocations: [:], now: Self.day(11)).changesAt == nil)
    }
}
