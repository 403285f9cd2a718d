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

/// Curation through the API as a curator meets it: validation, conflicts, holds, the
/// changelog, and many writes at once.
@Suite("Curation API")
struct CurationTests {
    struct Harness: Sendable {
        let database: TestDatabase
        let catalog: Catalog
        let curator: String
        let admin: String
    }

    static func withApp(_ body: @Sendable (any TestClientProtocol, Harness) async throws -> Void) async throws {
        let (database, catalog) = try await TestDatabase.seeded()
        let curator = try await catalog.createToken(name: "alice", role: .curator, expires: nil, actor: "setup").0.description
        let admin = try await catalog.createToken(name: "root", role: .admin, expires: nil, actor: "setup").0.description
        let app = Application(router: try PlinthApplication.router(catalog: catalog, metrics: PrometheusCollectorRegistry()))
        let harness = Harness(database: database, catalog: catalog, curator: curator, admin: admin)
        try await app.test(.router) { client in try await body(client, harness) }
    }

    static func send(
        _ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ path: String, token: String, body: String? = nil,
        contentType: String = "application/json", headers extra: HTTPFields = [:]
    ) async throws -> (HTTPResponse.Status, [String: Any], HTTPFields) {
        var headers = extra
        headers[.authorization] = "Bearer \(token)"
        if body != nil { headers[.contentType] = contentType }
        let response = try await client.execute(uri: path, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
        let json = (try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]) ?? [:]
        return (response.status, json, response.headers)
    }

    static func entryJSON(name: String, tags: [String] = ["1"], successor: String? = nil, platform: String = "linux/amd64") -> String {
        let successorField = successor.map { #","successor":"\#($0)""# } ?? ""
        return #"""
            {"name":"\#(name)","title":"Test","repository":"registry.example/\#(name)","tags":[\#(tags.map { "\"\($0)\"" }.joined(separator: ","))],
             "status":"approved","os":{"family":"debian","version":"12"},"platforms":["\#(platform)"],
             "workloads":[{"workload":"general","support":"supported"}],"owner":"tests","rationale":"A test entry.",
             "approval":{"policy":"manual","grace_days":7}\#(successorField)}
            """#
    }

    static func pointers(_ problem: [String: Any]) -> [String] {
        (problem["errors"] as? [[String: Any]])?.compactMap { $0["pointer"] as? String } ?? []
    }

    @Test func anInvalidEntryIsRefusedWithAPointerToTheField() async throws {
        try await Self.withApp { client, h in
            let (status, problem, _) = try await Self.send(client, .post, "/v1/images", token: h.curator, body: Self.entryJSON(name: "bad", platform: "linux"))
            #expect(status == .badRequest)
            #expect(Self.pointers(problem) == ["/platforms/0"])
            let (unknownSuccessor, problem2, _) = try await Self.send(
                client, .post, "/v1/images", token: h.curator, body: Self.entryJSON(name: "bad", successor: "no-such-entry"))
            #expect(unknownSuccessor == .badRequest)
            #expect(Self.pointers(problem2) == ["/successor"])
            #expect((problem2["detail"] as? String)?.contains("no entry named 'no-such-entry'") == true)
            let (wrongType, problem3, _) = try await Self.send(
                client, .post, "/v1/images", token: h.curator,
                body: Self.entryJSON(name: "bad").replacingOccurrences(of: #""grace_days":7"#, with: #""grace_days":"seven""#))
            #expect(wrongType == .badRequest)
            #expect(Self.pointers(problem3) == ["/approval/grace_days"])
            #expect(try await h.database.store.entry(named: "bad") == nil)
        }
    }

    @Test func aTagTrackedByAnotherEntryIsAConflict() async throws {
        try await Self.withApp { client, h in
            let (created, body, headers) = try await Self.send(client, .post, "/v1/images?reason=trial", token: h.curator, body: Self.entryJSON(name: "first"))
            #expect(created == .created)
            #expect(body["revision"] as? Int == 1)
            #expect(headers[.eTag] == "\"1\"")
            let duplicate = Self.entryJSON(name: "second").replacingOccurrences(of: "registry.example/second", with: "registry.example/first")
            let (status, problem, _) = try await Self.send(client, .post, "/v1/images", token: h.curator, body: duplicate)
            #expect(status == .conflict)
            #expect(problem["detail"] as? String == "registry.example/first:1 is already tracked by entry 'first'")
            let (again, _, _) = try await Self.send(client, .post, "/v1/images", token: h.curator, body: Self.entryJSON(name: "first"))
            #expect(again == .conflict)
            let event = try #require(try await h.database.store.auditEvents(AuditFilter(subject: "first"), limit: 10).first)
            #expect(event.action == "image.create")
            #expect(event.actor == "token:alice")
            #expect(event.reason == "trial")
        }
    }

    @Test func aPatchNamingAnOldRevisionIsRefusedAndOneWithoutIsApplied() async throws {
        try await Self.withApp { client, h in
            let path = "/v1/images/debian-bookworm-slim"
            let (_, _, read) = try await Self.send(client, .get, path, token: h.curator)
            let etag = try #require(read[.eTag])
            let (ok, body, after) = try await Self.send(
                client, .patch, path + "?reason=handover", token: h.curator, body: #"{"owner":"team-b"}"#, contentType: "application/merge-patch+json",
                headers: [.ifMatch: etag])
            #expect(ok == .ok)
            #expect(body["owner"] as? String == "team-b")
            #expect(after[.eTag] != etag)
            // The same If-Match again: the entry moved on.
            let (stale, _, _) = try await Self.send(
                client, .patch, path, token: h.curator, body: #"{"owner":"team-c"}"#, contentType: "application/merge-patch+json", headers: [.ifMatch: etag])
            #expect(stale == .preconditionFailed)
            #expect(try await h.database.store.entry(named: "debian-bookworm-slim")?.entry.owner == "team-b")
            // Renaming and deprecating without a successor are refused.
            let (rename, _, _) = try await Self.send(client, .patch, path, token: h.curator, body: #"{"name":"other"}"#, contentType: "application/merge-patch+json")
            #expect(rename == .badRequest)
            let (noSuccessor, problem, _) = try await Self.send(
                client, .patch, path, token: h.curator, body: #"{"status":"deprecated","successor":null}"#, contentType: "application/merge-patch+json")
            #expect(noSuccessor == .badRequest)
            #expect(Self.pointers(problem) == ["/successor"])
            let event = try #require(try await h.database.store.auditEvents(AuditFilter(subject: "debian-bookworm-slim"), limit: 1).first)
            #expect(event.action == "image.update")
            #expect(event.reason == "handover")
            #expect(event.before?.contains(#""owner":"platform-team""#) == true)
            #expect(event.after?.contains(#""owner":"team-b""#) == true)
        }
    }

    @Test func aHoldRollsTheTagBackUntilReleased() async throws {
        try await Self.withApp { client, h in
            let hold = "/v1/images/debian-bookworm-slim/tags/bookworm-slim/hold"
            let (noReason, _, _) = try await Self.send(client, .put, hold, token: h.curator, body: #"{"digest":"\#(Fixtures.bookwormSlimEarlierIndex)","reason":""}"#)
            #expect(noReason == .badRequest)
            let (held, body, _) = try await Self.send(
                client, .put, hold, token: h.curator, body: #"{"digest":"\#(Fixtures.bookwormSlimEarlierIndex)","reason":"new build breaks TLS"}"#)
            #expect(held == .ok)
            #expect(body["by"] as? String == "token:alice")
            let (_, earlier, _) = try await Self.send(client, .get, "/v1/digests/\(Fixtures.bookwormSlimEarlierIndex)", token: h.curator)
            #expect(earlier["verdict"] as? String == "approved")
            let (_, newer, _) = try await Self.send(client, .get, "/v1/digests/\(Fixtures.bookwormSlimIndex)", token: h.curator)
            #expect(newer["verdict"] as? String == "superseded")
            #expect(newer["current_digest"] as? String == Fixtures.bookwormSlimEarlierIndex)
            let (_, history, _) = try await Self.send(client, .get, "/v1/images/debian-bookworm-slim/history", token: h.curator)
            let tag = try #require((history["tags"] as? [[String: Any]])?.first)
            #expect((tag["hold"] as? [String: Any])?["reason"] as? String == "new build breaks TLS")

            let (released, _, _) = try await Self.send(client, .delete, hold + "?reason=fixed%20upstream", token: h.curator)
            #expect(released == .noContent)
            let (_, after, _) = try await Self.send(client, .get, "/v1/digests/\(Fixtures.bookwormSlimIndex)", token: h.curator)
            #expect(after["verdict"] as? String == "approved")
            let (again, _, _) = try await Self.send(client, .delete, hold, token: h.curator)
            #expect(again == .notFound)

            // The changelog tells it, with who and why.
            let (_, changelog, _) = try await Self.send(client, .get, "/v1/images/debian-bookworm-slim/changelog", token: h.curator)
            let items = try #require(changelog["items"] as? [[String: Any]])
            let story = items.map { "\($0["action"]!) \($0["actor"]!) \($0["reason"] ?? "")" }
            #expect(story.suffix(2) == ["tag.hold token:alice new build breaks TLS", "tag.release token:alice fixed upstream"])
            #expect(items.filter { $0["action"] as? String == "digest.seen" }.count == 2)
        }
    }

    @Test func approvingAndRevokingRefuseWhatDoesNotApply() async throws {
        try await Self.withApp { client, h in
            let (again, problem, _) = try await Self.send(client, .post, "/v1/digests/\(Fixtures.bookwormSlimIndex)/approve", token: h.curator, body: "{}")
            #expect(again == .conflict)
            #expect((problem["detail"] as? String)?.contains("is already approved for 'debian-bookworm-slim'") == true)
            let (unknown, _, _) = try await Self.send(client, .post, "/v1/digests/\(Fixtures.unknownDigest)/revoke", token: h.curator, body: #"{"reason":"x"}"#)
            #expect(unknown == .notFound)
            let (noReason, _, _) = try await Self.send(client, .post, "/v1/digests/\(Fixtures.bookwormSlimIndex)/revoke", token: h.curator, body: #"{"reason":""}"#)
            #expect(noReason == .badRequest)
            let (revoked, body, _) = try await Self.send(
                client, .post, "/v1/digests/\(Fixtures.bookwormSlimIndex)/revoke", token: h.curator, body: #"{"reason":"CVE-2026-0001"}"#)
            #expect(revoked == .ok)
            #expect(body["verdict"] as? String == "revoked")
            // A platform manifest of the revoked index is revoked with it.
            let (_, platform, _) = try await Self.send(client, .get, "/v1/digests/\(Fixtures.bookwormSlimAmd64)", token: h.curator)
            #expect(platform["verdict"] as? String == "revoked")
            let (approveRevoked, _, _) = try await Self.send(client, .post, "/v1/digests/\(Fixtures.bookwormSlimIndex)/approve", token: h.curator, body: "{}")
            #expect(approveRevoked == .conflict)
            // The audit log, filtered, for an admin.
            let (_, audit, _) = try await Self.send(client, .get, "/v1/audit?action=digest.revoke", token: h.admin)
            let events = try #require(audit["items"] as? [[String: Any]])
            #expect(events.count == 1)
            #expect(events.first?["reason"] as? String == "CVE-2026-0001")
            #expect((events.first?["hash"] as? String)?.count == 64)
        }
    }

    /// 50 approve, revoke, hold and release requests on one image at once, over real sockets: the final state is
    /// what applying the successful ones one at a time, in audit order, gives; each of them
    /// has exactly one event; the refused ones have none; the chain verifies.
    @Test func fiftyConcurrentWritesEqualSomeSerialOrder() async throws {
        let (database, catalog) = try await TestDatabase.seeded()
        let writes = try await ConcurrentWrites.prepare(catalog)
        let app = Application(router: try PlinthApplication.router(catalog: catalog, metrics: PrometheusCollectorRegistry()))
        let statuses = try await app.test(.live) { client in
            try await writes.send { _, operation in
                try await Self.send(client, operation.method, operation.path, token: writes.curator, body: operation.body).0.code
            }
        }
        try await writes.check(statuses, store: database.store, catalog: catalog)
    }
}

/// 50 approve, revoke, hold and release requests on one image, sent at once, and what must
/// hold after: every answer is a success or a refusal of what did not apply then, each
/// success has exactly one audit event and the refusals none, replaying the events in chain
/// order on a model gives the store's final state, and the chain verifies.
struct ConcurrentWrites: Sendable {
    struct Operation: Sendable {
        var method: HTTPRequest.Method
        var path: String
        var body: String?
    }

    let curator: String
    let digests: [Digest]
    let operations: [Operation]

    /// An entry `busy` whose tag pointed at ten digests (manual policy), three approved.
    static func prepare(_ catalog: Catalog) async throws -> ConcurrentWrites {
        let curator = try await catalog.createToken(name: "alice", role: .curator, expires: nil, actor: "setup").0.description
        _ = try await catalog.createImage(document: Data(CurationTests.entryJSON(name: "busy", tags: ["t"]).utf8), actor: "setup", reason: nil)
        let digests = (1...10).map { Digest.compute(.sha256, of: Array("busy build \($0)".utf8)) }
        try await catalog.store.apply(
            CatalogPlan(
                observations: digests.enumerated().map { offset, digest in
                    ObservationWrite(
                        snapshot: ImageSnapshot(
                            repository: "registry.example/busy", tag: "t", digest: digest, mediaType: .ociManifest, children: [],
                            seenAt: Fixtures.now.addingTimeInterval(Double(offset - 10) * 86_400), source: "test"))
                }))
        for digest in digests.prefix(3) { try await catalog.approve(digest, image: "busy", actor: "setup", reason: "setup") }
        var generator = SeededGenerator(seed: 20_261_127)
        let operations: [Operation] = (0..<50).map { n in
            let digest = digests[Int.random(in: 0..<digests.count, using: &generator)]
            switch Int.random(in: 0..<10, using: &generator) {
            case 0..<4: return Operation(method: .post, path: "/v1/digests/\(digest)/approve", body: #"{"reason":"op-\#(n)"}"#)
            case 4: return Operation(method: .post, path: "/v1/digests/\(digest)/revoke", body: #"{"reason":"op-\#(n)"}"#)
            case 6..<9: return Operation(method: .put, path: "/v1/images/busy/tags/t/hold", body: #"{"digest":"\#(digest)","reason":"op-\#(n)"}"#)
            default: return Operation(method: .delete, path: "/v1/images/busy/tags/t/hold?reason=op-\(n)", body: nil)
            }
        }
        return ConcurrentWrites(curator: curator, digests: digests, operations: operations)
    }

    /// Sends every operation at once; each one's HTTP status, by its number.
    func send(_ one: @escaping @Sendable (Int, Operation) async throws -> Int) async throws -> [Int: Int] {
        try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for (n, operation) in operations.enumerated() {
                group.addTask { (n, try await one(n, operation)) }
            }
            var statuses: [Int: Int] = [:]
            for try await (n, status) in group { statuses[n] = status }
            return statuses
        }
    }

    /// `everyKind`: that every kind of write succeeded at least once (the order the requests
    /// arrive in decides which succeed; over three processes a release can be refused every time).
    func check(_ statuses: [Int: Int], store: any CatalogStore, catalog: Catalog, everyKind: Bool = true) async throws {
        // Every answer is success or a refusal of something that did not apply then.
        #expect(statuses.values.allSatisfy { [200, 204, 409, 404].contains($0) }, "\(statuses)")
        let succeeded = Set(statuses.filter { $0.value == 200 || $0.value == 204 }.map(\.key))

        let events = try await store.auditEvents(after: 0, limit: 10_000).filter { $0.reason?.hasPrefix("op-") == true }
        let eventOps = events.compactMap { $0.reason.flatMap { Int($0.dropFirst(3)) } }
        #expect(eventOps.count == Set(eventOps).count, "an operation has more than one event")
        #expect(Set(eventOps) == succeeded)
        // Not vacuous: every kind of write got through at least once.
        if everyKind {
            #expect(Set(events.map(\.action)) == ["digest.approve", "digest.revoke", "tag.hold", "tag.release"], "\(events.map(\.action))")
        } else {
            #expect(Set(events.map(\.action)).count >= 3 && events.count >= 10, "\(events.map(\.action))")
        }

        // Replay the events in chain order on a model: each must have applied to the state the
        // ones before it left, and the end state must be the store's.
        var approved = Set(digests.prefix(3)), revoked: Set<Digest> = [], held: Digest?
        for event in events {
            switch event.action {
            case "digest.approve":
                let digest = try Digest(parsing: event.subject)
                #expect(!approved.contains(digest) && !revoked.contains(digest), "approve of \(digest) out of order")
                approved.insert(digest)
            case "digest.revoke":
                let digest = try Digest(parsing: event.subject)
                #expect(!revoked.contains(digest))
                revoked.insert(digest)
            case "tag.hold":
                let text = try #require(event.after)
                let after = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
                let digest = try Digest(parsing: try #require(after["digest"] as? String))
                #expect(approved.contains(digest) && !revoked.contains(digest) && held != digest, "hold at \(digest) out of order")
                held = digest
            case "tag.release":
                #expect(held != nil)
                held = nil
            default:
                Issue.record("unexpected event \(event.action)")
            }
        }
        #expect(Set(try await store.approvals(of: "busy").keys) == approved)
        #expect(Set(try await store.revocations().keys).intersection(digests) == revoked)
        #expect(try await store.holds(of: "busy")["t"]?.digest == held)
        let all = try await store.auditEvents(limit: 100_000)
        let head = try #require(all.first?.hash)
        #expect(try await catalog.verifyAudit() == .valid(events: all.count, head: head))
    }
}
