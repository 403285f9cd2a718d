import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PlinthCatalog
import PlinthCore
import PlinthRegistry
import PlinthStore
import PlinthTestSupport
import Prometheus
import Testing

@testable import PlinthServer

/// Every write endpoint (and the audit log) against every kind of caller: what each gets, and
/// that a refusal writes nothing.
@Suite("Authorisation matrix")
struct AuthorizationTests {
    enum Caller: String, CaseIterable, CustomTestStringConvertible {
        case anonymous, reader, curator, admin, expired, revoked, malformed, unknown
        var testDescription: String { rawValue }
    }

    /// One request, and what has to be in place for it to succeed when allowed.
    struct Endpoint: Sendable, CustomTestStringConvertible {
        var name: String
        var method: HTTPRequest.Method
        var path: @Sendable (Setup) -> String
        var body: String?
        var contentType = "application/json"
        var success: HTTPResponse.Status
        var needs: Role = .curator
        /// Whether success writes an audit event.
        var audited = true
        var testDescription: String { name }
    }

    /// What a fresh seeded catalog offers the requests.
    struct Setup: Sendable {
        /// A digest an entry with a manual policy saw and nobody approved.
        var pending: Digest
        /// An entry whose tag points at an unreachable registry (for sync).
        var unreachable: String
    }

    static let newEntry = #"""
        {"name":"test-entry","title":"Test","repository":"registry.example/test","tags":["1"],"status":"proposed",
         "os":{"family":"debian","version":"12"},"platforms":["linux/amd64"],"workloads":[{"workload":"general","support":"supported"}],
         "owner":"tests","rationale":"A test entry.","approval":{"policy":"manual","grace_days":7}}
        """#

    static let endpoints: [Endpoint] = [
        Endpoint(name: "create image", method: .post, path: { _ in "/v1/images?reason=new" }, body: newEntry, success: .created),
        Endpoint(
            name: "update image", method: .patch, path: { _ in "/v1/images/debian-bookworm-slim" }, body: #"{"owner":"someone-else"}"#,
            contentType: "application/merge-patch+json", success: .ok),
        Endpoint(
            name: "deprecate image", method: .patch, path: { _ in "/v1/images/debian-bookworm-slim?reason=trixie" },
            body: #"{"status":"deprecated","successor":"debian-trixie-slim"}"#, success: .ok),
        Endpoint(name: "approve digest", method: .post, path: { "/v1/digests/\($0.pending)/approve" }, body: #"{"reason":"reviewed"}"#, success: .ok),
        Endpoint(
            name: "revoke digest", method: .post, path: { _ in "/v1/digests/\(Fixtures.bookwormSlimIndex)/revoke" }, body: #"{"reason":"CVE"}"#,
            success: .ok),
        Endpoint(
            name: "hold tag", method: .put, path: { _ in "/v1/images/debian-bookworm-slim/tags/bookworm-slim/hold" },
            body: #"{"digest":"\#(Fixtures.bookwormSlimEarlierIndex)","reason":"rollback"}"#, success: .ok),
        Endpoint(name: "release tag", method: .delete, path: { _ in "/v1/images/debian-trixie-slim/tags/trixie-slim/hold" }, success: .noContent),
        Endpoint(name: "run sync", method: .post, path: { "/v1/sync?image=\($0.unreachable)" }, success: .ok, audited: false),
        Endpoint(name: "read audit log", method: .get, path: { _ in "/v1/audit" }, success: .ok, needs: .admin, audited: false),
    ]

    static func expected(_ caller: Caller, _ endpoint: Endpoint) -> HTTPResponse.Status {
        switch caller {
        case .anonymous, .expired, .revoked, .malformed, .unknown: .unauthorized
        case .reader: .forbidden
        case .curator: endpoint.needs == .admin ? .forbidden : endpoint.success
        case .admin: endpoint.success
        }
    }

    @Test(arguments: endpoints, Caller.allCases)
    func answersAsTheRoleAllowsAndWritesNothingOnRefusal(endpoint: Endpoint, caller: Caller) async throws {
        let (database, catalog) = try await TestDatabase.seeded()
        let setup = try await Self.prepare(database, catalog)
        let token = try await Self.token(for: caller, database)
        let sync = SyncRunner(catalog: catalog, client: Self.quickClient(), concurrency: 1)
        let router = try PlinthApplication.router(catalog: catalog, metrics: PrometheusCollectorRegistry(), sync: sync)
        let eventsBefore = try await database.store.auditEvents(limit: 1000)
        let entriesBefore = try await database.store.entries()
        let revocationsBefore = try await database.store.revocations()

        let status = try await Application(router: router).test(.router) { client in
            var headers: HTTPFields = [:]
            if let token { headers[.authorization] = "Bearer \(token)" }
            if endpoint.body != nil { headers[.contentType] = endpoint.contentType }
            let response = try await client.execute(
                uri: endpoint.path(setup), method: endpoint.method, headers: headers, body: endpoint.body.map { ByteBuffer(string: $0) })
            if response.status == .unauthorized { #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true) }
            if response.status != endpoint.success {
                #expect(response.headers[.contentType] == "application/problem+json")
            }
            return response.status
        }
        #expect(status == Self.expected(caller, endpoint))

        let eventsAfter = try await database.store.auditEvents(limit: 1000)
        if status == endpoint.success {
            let added = eventsAfter.count - eventsBefore.count
            #expect(added == (endpoint.audited ? 1 : 0))
            if endpoint.audited { #expect(eventsAfter.first?.actor == "token:\(caller.rawValue)") }
        } else {
            #expect(eventsAfter == eventsBefore)
            #expect(try await database.store.entries() == entriesBefore)
            #expect(try await database.store.revocations() == revocationsBefore)
        }
        try await sync.shutdownClient()
    }

    /// A hold to release, a pending digest to approve, an entry for sync to fail on.
    static func prepare(_ database: TestDatabase, _ catalog: Catalog) async throws -> Setup {
        let trixie = try await database.store.history(of: "debian-trixie-slim").map(\.digest)
        try await catalog.hold(image: "debian-trixie-slim", tag: "trixie-slim", at: trixie[0], actor: "setup", reason: "set up for release")
        let approvals = try await database.store.approvals(of: "amazonlinux-2023")
        let pending = try #require(try await database.store.history(of: "amazonlinux-2023").map(\.digest).first { approvals[$0] == nil })
        _ = try await catalog.createImage(
            document: Data(
                #"""
                {"name":"unreachable","title":"Unreachable","repository":"127.0.0.1:9/nothing","tags":["v1"],"status":"proposed",
                 "os":{"family":"none","version":"0"},"platforms":["linux/amd64"],"workloads":[],"owner":"tests","rationale":"For sync.",
                 "approval":{"policy":"manual","grace_days":0}}
                """#.utf8), actor: "setup", reason: nil)
        return Setup(pending: pending, unreachable: "unreachable")
    }

    /// The bearer token a caller sends (nil: none).
    static func token(for caller: Caller, _ database: TestDatabase) async throws -> String? {
        let catalog = database.catalog()
        switch caller {
        case .anonymous: return nil
        case .malformed: return "not-a-token"
        case .unknown: return AccessToken.generate().description
        case .reader, .curator, .admin:
            return try await catalog.createToken(name: caller.rawValue, role: Role(rawValue: caller.rawValue)!, expires: nil, actor: "setup").0.description
        case .expired:
            // Created a day before the tests' clock, valid for an hour.
            let earlier = database.catalog(now: Fixtures.now.addingTimeInterval(-86_400))
            return try await earlier.createToken(name: "expired", role: .admin, expires: Fixtures.now.addingTimeInterval(-82_800), actor: "setup").0.description
        case .revoked:
            let token = try await catalog.createToken(name: "revoked", role: .admin, expires: nil, actor: "setup").0
            try await catalog.revokeToken(name: "revoked", actor: "setup", reason: "left the team")
            return token.description
        }
    }

    static func quickClient() -> RegistryClient {
        var configuration = RegistryConfiguration()
        configuration.maxAttempts = 1
        return RegistryClient(configuration: configuration)
    }
}
