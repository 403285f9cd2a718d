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

/// `GET /v1/renovate/{name}`, as Renovate's custom datasource reads it: every seeded entry's
/// answer validates against the schema written from Renovate's own (Fixtures/renovate), each
/// release is a tag's approved current digest with the time Plinth first saw it, and a
/// revoked digest is never offered.
@Suite("Renovate datasource")
struct RenovateTests {
    static func releases(_ client: some TestClientProtocol, _ name: String) async throws -> (HTTPResponse.Status, Data) {
        let response = try await client.execute(uri: "/v1/renovate/\(name)", method: .get)
        return (response.status, Data(buffer: response.body))
    }

    @Test func everyEntryAnswersAsRenovateReadsIt() async throws {
        let (database, catalog) = try await TestDatabase.seeded()
        let app = Application(router: try PlinthApplication.router(catalog: catalog, metrics: PrometheusCollectorRegistry()))
        let documents = try await app.test(.router) { client in
            var documents: [Data] = []
            for entry in try await catalog.entries() {
                let (status, body) = try await Self.releases(client, entry.entry.name)
                #expect(status == .ok)
                documents.append(body)
            }
            let (_, body) = try await Self.releases(client, "debian-bookworm-slim")
            let answer = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
            #expect(answer["homepage"] as? String == "https://hub.docker.com/_/debian")
            #expect(answer["sourceUrl"] as? String == "https://github.com/debuerreotype/docker-debian-artifacts")
            let release = try #require((answer["releases"] as? [[String: Any]])?.first { $0["version"] as? String == "bookworm-slim" })
            #expect(release["digest"] as? String == Fixtures.bookwormSlimIndex)
            let firstSeen = try await catalog.lookup(try Digest(parsing: Fixtures.bookwormSlimIndex)).firstSeen
            let stamp = try #require(release["releaseTimestamp"] as? String)
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = stamp.contains(".") ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
            let when = try #require(formatter.date(from: stamp))
            #expect(abs(when.timeIntervalSince(try #require(firstSeen))) < 0.001)
            #expect(release["isDeprecated"] as? Bool == false)
            // A deprecated entry's releases are deprecated.
            let (_, ubuntu) = try await Self.releases(client, "ubuntu-22-04")
            let deprecated = (try JSONSerialization.jsonObject(with: ubuntu) as? [String: Any])?["releases"] as? [[String: Any]] ?? []
            #expect(!deprecated.isEmpty && deprecated.allSatisfy { $0["isDeprecated"] as? Bool == true })
            #expect(try await Self.releases(client, "no-such-entry").0 == .notFound)
            return documents
        }
        let (valid, output) = try await ProvenanceExportTests.validate("renovate", documents)
        #expect(valid, "\(output)")
        // The schema refuses what Renovate would: a release without its version.
        #expect(try await ProvenanceExportTests.validate("renovate", [Data(#"{"releases":[{"digest":"sha256:00"}]}"#.utf8)]).0 == false)
        _ = database
    }

    @Test func aRevokedDigestIsNotOffered() async throws {
        let (database, catalog) = try await TestDatabase.seeded()
        try await catalog.revoke(try Digest(parsing: Fixtures.bookwormSlimIndex), actor: "alice", reason: "a bad build")
        let app = Application(router: try PlinthApplication.router(catalog: catalog, metrics: PrometheusCollectorRegistry()))
        try await app.test(.router) { client in
            let (status, body) = try await Self.releases(client, "debian-bookworm-slim")
            #expect(status == .ok)
            let releases = (try JSONSerialization.jsonObject(with: body) as? [String: Any])?["releases"] as? [[String: Any]] ?? []
            #expect(!releases.contains { $0["digest"] as? String == Fixtures.bookwormSlimIndex })
        }
        _ = database
    }
}
