import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import PlinthCatalog
import PlinthCore
import PlinthRegistry
import PlinthTestSupport
import Prometheus
import Testing

@testable import PlinthServer

/// `POST /v1/sync` against the real test registry.
@Suite("Sync through the API", .serialized)
struct SyncAPITests {
    @Test func aCuratorRunsSyncNowAndGetsEachTagsOutcome() async throws {
        let registries = try await TestRegistries.shared()
        let database = try await TestDatabase()
        let catalog = Catalog(store: database.store)
        let document = #"""
            {"name":"fixture","title":"Fixture","repository":"\#(registries.anonymous)/fixtures/oci-index","tags":["v1"],"status":"approved",
             "os":{"family":"fixture","version":"1"},"platforms":["linux/amd64","linux/arm64/v8"],"workloads":[],"owner":"tests",
             "rationale":"A fixture.","approval":{"policy":"automatic","grace_days":7}}
            """#
        _ = try await catalog.createImage(document: Data(document.utf8), actor: "setup", reason: nil)
        let token = try await catalog.createToken(name: "alice", role: .curator, expires: nil, actor: "setup").0.description
        let client = RegistryClient()
        let runner = SyncRunner(catalog: catalog, client: client, concurrency: 4)
        let app = Application(router: try PlinthApplication.router(catalog: catalog, metrics: PrometheusCollectorRegistry(), sync: runner))
        let expected = Digest.compute(.sha256, of: Array(try await registries.rawManifest(registries.anonymous, "fixtures/oci-index", "v1")))

        try await app.test(.router) { client in
            let headers: HTTPFields = [.authorization: "Bearer \(token)"]
            let first = try await client.execute(uri: "/v1/sync?image=fixture", method: .post, headers: headers)
            #expect(first.status == .ok)
            let report = try #require(try JSONSerialization.jsonObject(with: Data(buffer: first.body)) as? [String: Any])
            #expect(report["failed"] as? Int == 0)
            let tag = try #require((report["tags"] as? [[String: Any]])?.first)
            #expect(tag["result"] as? String == "moved")
            #expect(tag["digest"] as? String == expected.description)
            #expect(tag["approved"] as? Bool == true)

            let second = try await client.execute(uri: "/v1/sync", method: .post, headers: headers)
            let again = try #require(try JSONSerialization.jsonObject(with: Data(buffer: second.body)) as? [String: Any])
            #expect((again["tags"] as? [[String: Any]])?.map { $0["result"] as? String } == ["unchanged"])

            let unknown = try await client.execute(uri: "/v1/sync?image=no-such-image", method: .post, headers: headers)
            #expect(unknown.status == .notFound)
        }
        try await client.shutdown()
        #expect(try await catalog.lookup(expected).verdict.verdict == .approved)
    }
}

/// `POST /v1/check` with an image reference: the base found by layer ancestry.
@Suite("Check images through the API", .serialized)
struct CheckImageAPITests {
    @Test func anApplicationImageIsJudgedByItsBase() async throws {
        let registries = try await TestRegistries.shared()
        let suffix = UUID().uuidString.lowercased().prefix(8)
        try await registries.push("amd64", to: registries.anonymous, repository: "fixtures/apibase-\(suffix)", tag: "v1")
        try await registries.push("app", to: registries.anonymous, repository: "fixtures/apiapp-\(suffix)", tag: "v1")
        let database = try await TestDatabase()
        let catalog = Catalog(store: database.store)
        let document = #"""
            {"name":"api-base","title":"Base","repository":"\#(registries.anonymous)/fixtures/apibase-\#(suffix)","tags":["v1"],"status":"approved",
             "os":{"family":"fixture","version":"1"},"platforms":["linux/amd64"],"workloads":[],"owner":"tests","rationale":"A base.",
             "approval":{"policy":"automatic","grace_days":7}}
            """#
        _ = try await catalog.createImage(document: Data(document.utf8), actor: "setup", reason: nil)
        let client = RegistryClient()
        let runner = SyncRunner(catalog: catalog, client: client, concurrency: 2)
        _ = try await runner.run(logger: Logger(label: "test"))
        let app = Application(router: try PlinthApplication.router(catalog: catalog, metrics: PrometheusCollectorRegistry(), sync: runner))
        try await app.test(.router) { http in
            let body = #"{"items": [], "images": ["\#(registries.anonymous)/fixtures/apiapp-\#(suffix):v1", "not a reference"]}"#
            let response = try await http.execute(uri: "/v1/check", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body))
            #expect(response.status == .ok)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
            let results = try #require(json["results"] as? [[String: Any]])
            #expect(results.map { $0["verdict"] as? String } == ["approved", "invalid"])
            #expect(results[0]["rebuild_needed"] as? Bool == false)
            #expect((results[0]["reason"] as? String)?.hasPrefix("built on api-base") == true)
            #expect(json["passed"] as? Bool == false)
            let empty = try await http.execute(uri: "/v1/check", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: #"{"items": []}"#))
            #expect(empty.status == .badRequest)
        }
        try await client.shutdown()
    }
}
