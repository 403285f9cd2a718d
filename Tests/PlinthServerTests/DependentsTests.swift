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

/// Lineage as people and scripts read it: a built image recorded on a platform manifest is a
/// dependent of that manifest and of its index, on `GET /v1/digests/{digest}/dependents` and
/// on the digest page, most recently seen first; seeing it again keeps its first sight.
@Suite("Dependents")
struct DependentsTests {
    @Test func aBuiltImageOnAPlatformManifestIsListedOnItAndOnItsIndex() async throws {
        let (database, catalog) = try await TestDatabase.seeded()
        let platform = try Digest(parsing: Fixtures.bookwormSlimAmd64), index = try Digest(parsing: Fixtures.bookwormSlimIndex)
        let first = Date(timeIntervalSince1970: 1_795_000_000), later = first.addingTimeInterval(3600)
        let web = try Digest(parsing: "sha256:" + String(repeating: "ab", count: 32))
        let worker = try Digest(parsing: "sha256:" + String(repeating: "cd", count: 32))
        try await database.store.recordBuiltImage(
            BuiltImage(
                repository: "registry.example/team/web", manifest: web, base: platform, reference: "registry.example/team/web:1.0", source: .check,
                firstSeen: first, lastSeen: first))
        try await database.store.recordBuiltImage(
            BuiltImage(
                repository: "registry.example/team/worker", manifest: worker, base: platform, reference: "registry.example/team/worker:2", source: .registry,
                firstSeen: first.addingTimeInterval(60), lastSeen: first.addingTimeInterval(60)))
        // Seen again, later, by an admission controller: first sight kept, the rest updated.
        try await database.store.recordBuiltImage(
            BuiltImage(
                repository: "registry.example/team/web", manifest: web, base: platform, reference: "registry.example/team/web:1.1", source: .admission,
                firstSeen: later, lastSeen: later))

        let app = Application(router: try PlinthApplication.router(catalog: catalog, metrics: PrometheusCollectorRegistry()))
        try await app.test(.router) { client in
            for digest in [platform, index] {
                let response = try await client.execute(uri: "/v1/digests/\(digest)/dependents", method: .get)
                #expect(response.status == .ok)
                let body = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                #expect(body["digest"] as? String == digest.description)
                let dependents = body["dependents"] as? [[String: Any]] ?? []
                #expect(dependents.map { $0["reference"] as? String } == ["registry.example/team/web:1.1", "registry.example/team/worker:2"])
                #expect(dependents.first?["source"] as? String == "admission")
                #expect(dependents.first?["first_seen"] as? String == RFC3339.format(first))
                #expect(dependents.first?["last_seen"] as? String == RFC3339.format(later))
                #expect(dependents.first?["base"] as? String == platform.description)
            }
            let unknown = try await client.execute(uri: "/v1/digests/\(Fixtures.unknownDigest)/dependents", method: .get)
            #expect(unknown.status == .notFound)
            let invalid = try await client.execute(uri: "/v1/digests/sha256:nothex/dependents", method: .get)
            #expect(invalid.status == .badRequest)

            let page = try await client.execute(uri: "/digests/\(index)", method: .get, headers: [.accept: "text/html"])
            #expect(page.status == .ok)
            let html = String(buffer: page.body)
            #expect(html.contains("<h2>Built on it</h2>"))
            #expect(html.contains("<code>registry.example/team/web:1.1</code>"))
            #expect(html.contains("<code>registry.example/team/worker:2</code>"))
            // An entry with none has no such section.
            let other = try await client.execute(uri: "/digests/\(Fixtures.bookwormSlimEarlierIndex)", method: .get, headers: [.accept: "text/html"])
            #expect(!String(buffer: other.body).contains("Built on it"))
        }
        _ = database
    }
}
