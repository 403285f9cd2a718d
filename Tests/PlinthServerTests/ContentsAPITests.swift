import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PlinthCatalog
import PlinthCore
import PlinthTestSupport
import Prometheus
import Testing

@testable import PlinthServer

/// Packages, advisories, health and diffs through the API, on the seeded catalog with the
/// real Ubuntu OSV records imported.
@Suite("Contents API")
struct ContentsAPITests {
    static let osv = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("PlinthCatalogTests/Fixtures/osv/ubuntu")

    @Test func packagesAdvisoriesAndHealthOfTheSeededUbuntuImage() async throws {
        let (database, catalog) = try await TestDatabase.seeded()
        _ = try await catalog.importAdvisories(try AdvisorySource.files(at: Self.osv.path))
        let digest = try #require(try await database.store.history(of: "ubuntu-22-04").first?.digest)
        let app = Application(router: try PlinthApplication.router(catalog: catalog, metrics: PrometheusCollectorRegistry()))
        try await app.test(.router) { client in
            func json(_ path: String) async throws -> (HTTPResponse.Status, [String: Any]) {
                let response = try await client.execute(uri: path, method: .get)
                return (response.status, (try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]) ?? [:])
            }
            let (_, packages) = try await json("/v1/digests/\(digest)/packages")
            let manifests = try #require(packages["manifests"] as? [[String: Any]])
            #expect(manifests.count == 1)
            #expect(manifests.first?["platform"] as? String == "linux/amd64")
            #expect((manifests.first?["packages"] as? [Any])?.count == 101)
            #expect(packages["os"] as? String == "ubuntu 22.04")

            let (_, advisories) = try await json("/v1/digests/\(digest)/advisories")
            let items = try #require(advisories["items"] as? [[String: Any]])
            #expect(items.map { $0["id"] as? String } == ["CVE-2024-2236"])
            #expect(items.first?["package"] as? String == "libgcrypt20")
            #expect(items.first?["binaries"] as? [String] == ["libgcrypt20"])
            #expect(items.first?["fixed_version"] == nil)

            let (_, lookup) = try await json("/v1/digests/\(digest)")
            let health = try #require(lookup["health"] as? [String: Any])
            // One advisory, with no fix in Ubuntu: it does not lower the grade.
            #expect(health["grade"] as? String == "A")
            #expect((health["advisories"] as? [String: Int]) == ["unknown": 1])

            let (_, image) = try await json("/v1/images/ubuntu-22-04")
            #expect((image["current"] as? [[String: Any]])?.first?["grade"] as? String == "A")

            let (unknown, _) = try await json("/v1/diff?from=\(digest)&to=\(Fixtures.unknownDigest)")
            #expect(unknown == .notFound)
            let (same, diff) = try await json("/v1/diff?from=\(digest)&to=\(digest)")
            #expect(same == .ok)
            #expect(diff["summary"] as? String == "no package changes")
            let (missing, _) = try await json("/v1/digests/\(Fixtures.unknownDigest)/packages")
            #expect(missing == .notFound)
        }
    }

    /// Amazon Linux publishes no OSV feed: its seeded digest keeps its rpm packages, and its
    /// health says that advisories are not matched instead of a grade of A.
    @Test func amazonLinuxIsNotGradedForWantOfAFeed() async throws {
        let (_, catalog) = try await TestDatabase.seeded()
        let app = Application(router: try PlinthApplication.router(catalog: catalog, metrics: PrometheusCollectorRegistry()))
        try await app.test(.router) { client in
            let amd64 = "sha256:bc20ab39b3e976096f7e5782e9457eb5144810a3cbdbfdbe111d1b31b82f47b4"
            let lookup = try await client.execute(uri: "/v1/digests/\(amd64)", method: .get)
            let body = try JSONSerialization.jsonObject(with: Data(buffer: lookup.body)) as? [String: Any]
            let health = try #require(body?["health"] as? [String: Any])
            #expect(health["grade"] == nil)
            #expect(health["note"] as? String == "Amazon Linux publishes no OSV feed: advisories are not matched, so the grade says nothing")
            let packages = try await client.execute(uri: "/v1/digests/\(amd64)/packages", method: .get)
            let list = try JSONSerialization.jsonObject(with: Data(buffer: packages.body)) as? [String: Any]
            let first = ((list?["manifests"] as? [[String: Any]])?.first?["packages"] as? [[String: Any]])?.first { $0["name"] as? String == "alternatives" }
            #expect(first?["type"] as? String == "rpm")
            #expect((first?["rpm"] as? [String: Any])?["source_rpm"] as? String == "chkconfig-1.15-2.amzn2023.0.2.src.rpm")
        }
    }
}
