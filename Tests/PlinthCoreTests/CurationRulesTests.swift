import Foundation
import Testing

@testable import PlinthCore

/// The catalog's rules for curator decisions, judged on facts alone (every store asks them).
@Suite("Curation rules")
struct CurationRulesTests {
    let digest = try! Digest(parsing: "sha256:" + String(repeating: "d", count: 64))
    let revocation = Revocation(by: "token:alice", at: Date(timeIntervalSince1970: 0), reason: "CVE")

    func facts(_ change: (inout CurationFacts) -> Void) -> CurationFacts {
        var facts = CurationFacts()
        facts.imageExists = true
        facts.tagTracked = true
        facts.digestSeen = true
        facts.digestKnown = true
        facts.advisoryExists = true
        change(&facts)
        return facts
    }

    @Test func aRevokedDigestCannotBeApprovedOrHeld() {
        let revoked = facts { $0.revocation = revocation; $0.approvedBy = "policy:automatic" }
        #expect(throws: CurationRefusal.conflict("digest \(digest) is revoked; a revoked digest cannot be approved")) {
            try CurationRules.check(.approve(image: "x", digest: digest), reason: nil, facts: facts { $0.revocation = revocation })
        }
        #expect(throws: CurationRefusal.conflict("digest \(digest) is revoked; a tag cannot be held at it")) {
            try CurationRules.check(.hold(image: "x", tag: "t", digest: digest), reason: "pin", facts: revoked)
        }
    }

    @Test func eachDecisionNamesWhatItLacks() {
        let cases: [(CurationRules.Decision, String?, CurationFacts, CurationRefusal)] = [
            (.approve(image: "x", digest: digest), nil, facts { $0.imageExists = false }, .notFound("image 'x'")),
            (.approve(image: "x", digest: digest), nil, facts { $0.digestSeen = false }, .notFound("digest \(digest) on a tag of image 'x'")),
            (.approve(image: "x", digest: digest), nil, facts { $0.approvedBy = "bob" }, .conflict("digest \(digest) is already approved for 'x' (by bob)")),
            (.revoke(digest: digest), "why", facts { $0.digestKnown = false }, .notFound("digest \(digest)")),
            (.revoke(digest: digest), "", facts { _ in }, .conflict("a revocation needs a reason")),
            (.revoke(digest: digest), "why", facts { $0.revocation = revocation }, .conflict("digest \(digest) is already revoked (by token:alice: CVE)")),
            (.liftRevocation(digest: digest), "why", facts { _ in }, .notFound("a revocation of \(digest)")),
            (.liftRevocation(digest: digest), nil, facts { $0.revocation = revocation }, .conflict("lifting a revocation needs a reason")),
            (.hold(image: "x", tag: "t", digest: digest), "pin", facts { $0.tagTracked = false }, .notFound("tag 't' tracked by image 'x'")),
            (.hold(image: "x", tag: "t", digest: digest), "pin", facts { _ in },
             .conflict("digest \(digest) is not approved for 'x'; only an approved digest can be held")),
            (.release(image: "x", tag: "t"), nil, facts { _ in }, .notFound("a hold on tag 't' of 'x'")),
            (.except(image: "x", advisory: "CVE-1"), "fine", facts { $0.advisoryExists = false }, .notFound("advisory 'CVE-1'")),
            (.except(image: "x", advisory: "CVE-1"), nil, facts { _ in }, .conflict("an exception needs a reason")),
        ]
        for (decision, reason, facts, refusal) in cases {
            #expect(throws: refusal, "\(decision)") { try CurationRules.check(decision, reason: reason, facts: facts) }
        }
        // And each passes once the facts allow it.
        #expect(throws: Never.self) {
            try CurationRules.check(.approve(image: "x", digest: digest), reason: nil, facts: facts { _ in })
            try CurationRules.check(.revoke(digest: digest), reason: "CVE", facts: facts { _ in })
            try CurationRules.check(.hold(image: "x", tag: "t", digest: digest), reason: "pin", facts: facts { $0.approvedBy = "bob" })
        }
    }
}
