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

/// rpm databases read from image layers, the whole path: a fixture image on the real test
/// registry whose layer carries a real rpm database, synced, then
/// `GET /v1/digests/{digest}/packages`, against the package list the database holds (as
/// `rpm -qa` printed it: scripts/test-registries/pkgdb/rpm/*/expected.tsv).
@Suite("rpm contents", .serialized)
struct RPMContentsTests {
    let registries: TestRegistries
    let logger = Logger(label: "test.rpm")

    init() async throws {
        registries = try await TestRegistries.shared()
    }

    static let rpmdb = TestRegistries.repositoryRoot.appendingPathComponent("scripts/test-registries/pkgdb/rpm")

    /// expected.tsv's rows (name, epoch, version, release, arch, sourcerpm), its comment and
    /// header lines left out, sorted.
    static func expected(_ folder: String) throws -> [String] {
        let text = try String(contentsOf: rpmdb.appendingPathComponent("\(folder)/expected.tsv"), encoding: .utf8)
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.hasPrefix("name\t") }.map(String.init).sorted()
    }

    /// Syncs the fixture as an entry of its own and returns the packages the API lists for its digest.
    func packages(of fixture: String, os: (String, String)) async throws -> (rows: [String], body: [String: Any]) {
        let (_, catalog, synced, failed) = try await registries.syncedFixture(fixture, os: os, logger: logger)
        #expect(failed == [false])
        let digest = try #require(synced)
        let app = Application(router: try PlinthApplication.router(catalog: catalog, metrics: PrometheusCollectorRegistry()))
        return try await app.test(.router) { client in
            let response = try await client.execute(uri: "/v1/digests/\(digest)/packages", method: .get)
            #expect(response.status == .ok)
            let body = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
            let manifests = try #require(body["manifests"] as? [[String: Any]])
            let packages = try #require(manifests.first?["packages"] as? [[String: Any]])
            let rows = packages.map { package -> String in
                let rpm = package["rpm"] as? [String: Any] ?? [:]
                return [
                    package["name"] as? String ?? "", (rpm["epoch"] as? Int).map(String.init) ?? "", rpm["version"] as? String ?? "",
                    rpm["release"] as? String ?? "", package["arch"] as? String ?? "", rpm["source_rpm"] as? String ?? "",
                ].joined(separator: "\t")
            }
            #expect(packages.allSatisfy { $0["type"] as? String == "rpm" })
            return (rows.sorted(), body)
        }
    }

    @Test func sqliteDatabaseOfCBLMariner() async throws {
        let (rows, body) = try await packages(of: "mariner-rpm", os: ("mariner", "2.0"))
        let expected = try Self.expected("cbl-mariner-2.0")
        #expect(expected.count == 129)
        #expect(rows == expected)
        // An epoch is part of the version compared.
        let manifests = body["manifests"] as? [[String: Any]]
        let packages = manifests?.first?["packages"] as? [[String: Any]]
        #expect(packages?.first { $0["name"] as? String == "ca-certificates-base" }?["version"] as? String == "1:2.0.0-1.cm2")
        #expect(packages?.first { $0["name"] as? String == "bash" }?["source_name"] as? String == "bash")
    }

    @Test func berkeleyDBDatabaseOfAnEL8Image() async throws {
        let (rows, _) = try await packages(of: "el8-rpm", os: ("almalinux", "8.9"))
        #expect(rows == (try Self.expected("libuuid-el8")))
        #expect(rows.count == 1)
    }

    @Test func ndbDatabaseOfSLE15BCI() async throws {
        let (rows, _) = try await packages(of: "sle-rpm", os: ("sles", "15.5"))
        let expected = try Self.expected("sle15-bci")
        #expect(expected.count == 35)
        #expect(rows == expected)
    }

    /// The zstd twin of the Mariner image (its layer recompressed by the zstd tool) reads the same.
    @Test func aZstdLayerReadsLikeItsGzipTwin() async throws {
        let (zstd, _) = try await packages(of: "mariner-rpm-zstd", os: ("mariner", "2.0"))
        #expect(zstd == (try Self.expected("cbl-mariner-2.0")))
    }
}
