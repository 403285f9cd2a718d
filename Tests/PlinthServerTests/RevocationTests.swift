import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PlinthCatalog
import PlinthCore
import PlinthStore
import PlinthTestSupport
import Prometheus
import Testing

@testable import PlinthServer

/// A revocation that holds everywhere: a curator revokes a platform digest through the API,
/// and every way of asking (API lookups of the platform and its index, the API's check, the
/// CLI's check, lookup and pin) says `revoked`; lifting it restores the earlier verdicts.
@Suite("Revocation of a platform digest")
struct RevocationTests {
    /// docker.io/library/debian:trixie-slim, the 2026-08-24 build (seed-data/snapshots), and
    /// two of its platform manifests; the 2026-08-03 build before it.
    static let index = "sha256:d7e12182ce18b85b93007c1dedf31f2d29e01ccf3182cc4017c709b6259bc132"
    static let amd64 = "sha256:abc9cb88a5587630d7f915f47b23b0668fe250fbfc6457aa4d52b534c1bbf73f"
    static let arm64 = "sha256:7215f78f35ffe58fe13f244fac9c4f21326d55187271fbb3e1a8aa5cc7e387ab"
    static let earlier = "sha256:3a39a0592364683e6bab97937b72cad5a8fa6dcbbee90edb3bb48c7f8e94f258"

    static func verdict(_ json: [String: Any]) -> String? { json["verdict"] as? String }

    @Test func aRevokedPlatformDigestIsRevokedEverywhereUntilTheRevocationIsLifted() async throws {
        // The CLI runs on the same database at the real time; the server stands at that time too.
        let database = try await TestDatabase()
        let catalog = database.catalog(now: Date())
        _ = try await catalog.apply(.embedded)
        let curator = try await catalog.createToken(name: "alice", role: .curator, expires: nil, actor: "setup").0.description
        let reader = try await catalog.createToken(name: "bob", role: .reader, expires: nil, actor: "setup").0.description
        let admin = try await catalog.createToken(name: "root", role: .admin, expires: nil, actor: "setup").0.description
        let app = Application(router: try PlinthApplication.router(catalog: catalog, metrics: PrometheusCollectorRegistry()))
        let db = database.location
        let dockerfile = try Fixtures.directory(["Dockerfile": "FROM debian:trixie-slim\n"]).appendingPathComponent("Dockerfile").path

        try await app.test(.router) { client in
            let send = { (method: HTTPRequest.Method, path: String, token: String, body: String?) in
                try await CurationTests.send(client, method, path, token: token, body: body)
            }
            // The matrix's cells of the entry, each graded on the first tag's current digest.
            let matrixGrades = { () async throws -> [String?] in
                let rows = try #require(try await send(.get, "/v1/matrix", reader, nil).1["workloads"] as? [[String: Any]])
                return rows.flatMap { ($0["images"] as? [[String: Any]]) ?? [] }.filter { $0["image"] as? String == "debian-trixie-slim" }.map { $0["grade"] as? String }
            }
            let grade = { (digest: String) async throws -> String? in
                ((try await send(.get, "/v1/digests/\(digest)", reader, nil).1)["health"] as? [String: Any])?["grade"] as? String
            }
            // Before: approved, and the tag's current digest.
            #expect(Self.verdict(try await send(.get, "/v1/digests/\(Self.amd64)", reader, nil).1) == "approved")
            let gradesBefore = try await matrixGrades()
            let indexGrade = try await grade(Self.index)
            #expect(indexGrade != nil && !gradesBefore.isEmpty && gradesBefore.allSatisfy { $0 == indexGrade }, "\(gradesBefore)")
            let pinnedBefore = try await PlinthBinary.run(["pin", "--check", "--db", db, dockerfile])
            #expect(pinnedBefore.stdout.contains("@\(Self.index)"), "\(pinnedBefore.stdout)\(pinnedBefore.stderr)")

            // A reader may not revoke; a curator must give a reason.
            #expect(try await send(.post, "/v1/digests/\(Self.amd64)/revoke", reader, #"{"reason":"x"}"#).0 == .forbidden)
            #expect(try await send(.post, "/v1/digests/\(Self.amd64)/revoke", curator, #"{"reason":""}"#).0 == .badRequest)

            let (status, revoked, _) = try await send(.post, "/v1/digests/\(Self.amd64)/revoke", curator, #"{"reason":"glibc breaks on amd64"}"#)
            #expect(status == .ok)
            #expect(Self.verdict(revoked) == "revoked")

            // The platform digest, its index, and a sibling platform (which follows the index).
            let platform = try await send(.get, "/v1/digests/\(Self.amd64)", reader, nil).1
            #expect(Self.verdict(platform) == "revoked")
            #expect((platform["revocation"] as? [String: Any])?["by"] as? String == "token:alice")
            #expect((platform["revocation"] as? [String: Any])?["reason"] as? String == "glibc breaks on amd64")
            #expect(platform["current_digest"] as? String == Self.earlier)
            let index = try await send(.get, "/v1/digests/\(Self.index)", reader, nil).1
            #expect(Self.verdict(index) == "revoked")
            #expect((index["revocation"] as? [String: Any])?["manifest"] as? String == Self.amd64)
            #expect((index["revocation"] as? [String: Any])?["platform"] as? String == "linux/amd64")
            #expect(index["current_digest"] as? String == Self.earlier)
            #expect((index["health"] as? [String: Any])?["grade"] as? String == "F")
            let sibling = try await send(.get, "/v1/digests/\(Self.arm64)", reader, nil).1
            #expect(Self.verdict(sibling) == "revoked")
            #expect((sibling["revocation"] as? [String: Any])?["manifest"] as? String == Self.amd64)
            #expect((sibling["revocation"] as? [String: Any])?["index"] as? String == Self.index)
            #expect(sibling["grace_until"] == nil)
            // The matrix grades the build before the revoked one, not the revoked index (F).
            let earlierGrade = try await grade(Self.earlier)
            let gradesRevoked = try await matrixGrades()
            #expect(earlierGrade != nil && earlierGrade != "F")
            #expect(gradesRevoked.count == gradesBefore.count && gradesRevoked.allSatisfy { $0 == earlierGrade }, "\(gradesRevoked)")

            // The API's check, for the digests and the references that pin them.
            let items = [Self.amd64, Self.index, "debian:trixie-slim@\(Self.index)", "debian:trixie-slim"]
            let check = try await send(.post, "/v1/check", reader, #"{"items":[\#(items.map { "\"\($0)\"" }.joined(separator: ","))]}"#).1
            let results = try #require(check["results"] as? [[String: Any]])
            #expect(results.map { $0["verdict"] as? String } == ["revoked", "revoked", "revoked", "unpinned"])
            #expect(results.map { $0["passes"] as? Bool } == [false, false, false, false])
            #expect(results.map { $0["current_digest"] as? String } == [Self.earlier, Self.earlier, Self.earlier, Self.earlier])
            #expect((results[1]["reason"] as? String)?.hasPrefix("revoked: its linux/amd64 manifest \(Self.amd64) was revoked by token:alice") == true)

            // The CLI, on the same database: check, lookup, pin.
            let cliCheck = try await PlinthBinary.run(["check", "--db", db, "--json", Self.amd64, Self.index])
            #expect(cliCheck.status == 1)
            let cliResults = try #require((try JSONSerialization.jsonObject(with: Data(cliCheck.stdout.utf8)) as? [String: Any])?["results"] as? [[String: Any]])
            #expect(cliResults.map { $0["verdict"] as? String } == ["revoked", "revoked"])
            let lookup = try await PlinthBinary.run(["lookup", "--db", db, Self.amd64])
            #expect(lookup.status == 1)
            #expect(lookup.stdout.contains("revoked"))
            #expect(lookup.stdout.contains("glibc breaks on amd64"))
            let lookupIndex = try await PlinthBinary.run(["lookup", "--db", db, "--json", Self.index])
            #expect(lookupIndex.status == 1)
            #expect(Self.verdict((try JSONSerialization.jsonObject(with: Data(lookupIndex.stdout.utf8)) as? [String: Any]) ?? [:]) == "revoked")
            let pinned = try await PlinthBinary.run(["pin", "--check", "--db", db, dockerfile])
            #expect(pinned.stdout.contains("@\(Self.earlier)"), "pin moves to the build before the revoked one: \(pinned.stdout)")
            // Approving or holding at the revoked index is refused.
            let (approveStatus, refusal, _) = try await send(.post, "/v1/digests/\(Self.index)/approve", curator, #"{"image":"debian-trixie-slim"}"#)
            #expect(approveStatus == .conflict)
            #expect((refusal["detail"] as? String)?.contains("lists the revoked linux/amd64 manifest") == true, "\(refusal)")
            let (holdStatus, holdRefusal, _) = try await send(
                .put, "/v1/images/debian-trixie-slim/tags/trixie-slim/hold", curator, #"{"digest":"\#(Self.index)","reason":"roll back"}"#)
            #expect(holdStatus == .conflict)
            #expect((holdRefusal["detail"] as? String)?.contains("cannot be held at") == true, "\(holdRefusal)")

            // Lifting: a reason is required; then the earlier verdicts are back.
            #expect(try await send(.delete, "/v1/digests/\(Self.amd64)/revocation", curator, nil).0 == .badRequest)
            #expect(try await send(.delete, "/v1/digests/\(Self.index)/revocation?reason=no", curator, nil).0 == .notFound)
            #expect(try await send(.delete, "/v1/digests/\(Self.amd64)/revocation?reason=wrong", reader, nil).0 == .forbidden)
            let (liftStatus, lifted, _) = try await send(.delete, "/v1/digests/\(Self.amd64)/revocation?reason=revoked%20the%20wrong%20digest", curator, nil)
            #expect(liftStatus == .ok)
            #expect(Self.verdict(lifted) == "approved")
            #expect(Self.verdict(try await send(.get, "/v1/digests/\(Self.index)", reader, nil).1) == "approved")
            #expect(Self.verdict(try await send(.get, "/v1/digests/\(Self.arm64)", reader, nil).1) == "approved")
            let after = try await PlinthBinary.run(["check", "--db", db, "--json", Self.amd64, Self.index])
            #expect(after.status == 0, "\(after.stdout)\(after.stderr)")
            let checkAfter = try #require(try await send(.post, "/v1/check", reader, #"{"items":[\#(items.map { "\"\($0)\"" }.joined(separator: ","))]}"#).1["results"] as? [[String: Any]])
            #expect(checkAfter.map { $0["verdict"] as? String } == ["approved", "approved", "approved", "unpinned"])
            #expect(checkAfter.map { $0["current_digest"] as? String } == [Self.index, Self.index, Self.index, Self.index])
            let lookupAfter = try await PlinthBinary.run(["lookup", "--db", db, Self.amd64])
            #expect(lookupAfter.status == 0, "\(lookupAfter.stdout)\(lookupAfter.stderr)")
            #expect(lookupAfter.stdout.contains("approved"))
            #expect(try await matrixGrades() == gradesBefore)
            #expect(try await PlinthBinary.run(["pin", "--check", "--db", db, dockerfile]).stdout.contains("@\(Self.index)"))

            // Both decisions are in the audit log, by the curator, with their reasons; it verifies.
            let audit = try await send(.get, "/v1/audit?subject=\(Self.amd64)", admin, nil).1
            let events = try #require(audit["items"] as? [[String: Any]])
            #expect(events.map { $0["action"] as? String } == ["digest.unrevoke", "digest.revoke"])
            #expect(events.map { $0["actor"] as? String } == ["token:alice", "token:alice"])
            #expect(events.map { $0["reason"] as? String } == ["revoked the wrong digest", "glibc breaks on amd64"])
            let verify = try await PlinthBinary.run(["audit", "verify", "--db", db])
            #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        }
    }

    @Test func aRevokedDigestNoTrackedTagPointsAtIsJudgedRevokedWithoutCrashing() async throws {
        let (_, catalog) = try await TestDatabase.seeded()
        try await catalog.revoke(try Digest(parsing: Self.amd64), actor: "test", reason: "broken")
        // The entry stops tracking the tag: no lineage leads to the digest any more.
        _ = try await catalog.updateImage(named: "debian-trixie-slim", mergePatch: Data(#"{"tags":["13-slim"]}"#.utf8), revision: nil, actor: "test", reason: nil)
        let judgment = try await catalog.judge("debian:trixie-slim@\(Self.amd64)")
        #expect(judgment.outcome == .verdict(.revoked))
        #expect(judgment.passes == false)
        #expect(judgment.reason == "revoked by test: broken")
    }

    @Test func theCommandLineRevokesAndLiftsToo() async throws {
        let (database, _) = try await TestDatabase.seeded()
        let db = database.location
        let missing = try await PlinthBinary.run(["revoke", "--db", db, Self.amd64])
        #expect(missing.status == 2)
        let revoke = try await PlinthBinary.run(["revoke", "--db", db, Self.amd64, "--reason", "bad build"])
        #expect(revoke.status == 0, "\(revoke.stderr)")
        #expect(revoke.stdout.hasPrefix("\(Self.amd64): revoked"))
        let again = try await PlinthBinary.run(["revoke", "--db", db, Self.amd64, "--reason", "bad build"])
        #expect(again.status == 2)
        #expect(again.stderr.contains("already revoked"))
        #expect(try await PlinthBinary.run(["lookup", "--db", db, Self.index]).status == 1)
        let lift = try await PlinthBinary.run(["unrevoke", "--db", db, Self.amd64, "--reason", "mistake"])
        #expect(lift.status == 0, "\(lift.stderr)")
        #expect(lift.stdout.hasPrefix("\(Self.amd64): approved"))
        #expect(try await PlinthBinary.run(["lookup", "--db", db, Self.index]).status == 0)
        let events = try await database.store.auditEvents(AuditFilter(subject: Self.amd64), limit: 10)
        #expect(events.map(\.action) == ["digest.unrevoke", "digest.revoke"])
        #expect(events.allSatisfy { $0.actor.hasPrefix("local:") })
    }
}
