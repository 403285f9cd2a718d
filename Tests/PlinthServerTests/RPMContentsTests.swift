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
    func packages(
        of fixture: String, os: (String, String), beforeSync: @Sendable (_ repository: String, _ digest: Digest) async throws -> Void = { _, _ in }
    ) async throws -> (rows: [String], body: [String: Any]) {
        let (_, catalog, synced, failed) = try await registries.syncedFixture(fixture, os: os, logger: logger, beforeSync: beforeSync)
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
        let (zstd, _) = try await packages(of: "mariner-rpm-zstd", os: ("mariner", "2.0")) { repository, _ in
            // The manifest on the registry, as skopeo reads it, says the layer is zstd.
            let (ok, raw, error) = try await TestRegistries.capture("skopeo", ["inspect", "--raw", "--tls-verify=false", "docker://\(repository):v1"])
            #expect(ok, "\(error)")
            let manifest = try JSONSerialization.jsonObject(with: Data(raw)) as? [String: Any]
            let layers = manifest?["layers"] as? [[String: Any]] ?? []
            #expect(!layers.isEmpty && layers.allSatisfy { $0["mediaType"] as? String == "application/vnd.oci.image.layer.v1.tar+zstd" }, "\(layers)")
        }
        #expect(zstd == (try Self.expected("cbl-mariner-2.0")))
    }

    /// A database made by Debian's own rpm tools (rpmbuild, `rpm -i --justdb`): epochs, a
    /// tilde, a caret and a module stream read exactly as `rpm -qa --dbpath` printed them.
    @Test func aDatabaseMadeByRPMReadsAsRPMPrintsIt() async throws {
        let (rows, body) = try await packages(of: "rpmbuild-alma", os: ("almalinux", "9.1"))
        #expect(rows == (try Self.expected("rpmbuild-el9")))
        let labels = try String(contentsOf: Self.rpmdb.appendingPathComponent("rpmbuild-el9/modularity.tsv"), encoding: .utf8)
            .split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }.filter { $0.count == 2 && $0[1] != "(none)" }
        #expect(labels.map { $0[0] } == ["nodejs"])
        let packages = (body["manifests"] as? [[String: Any]])?.first?["packages"] as? [[String: Any]] ?? []
        let modules = packages.compactMap { package in ((package["rpm"] as? [String: Any])?["module"] as? String).map { [package["name"] as? String ?? "", $0] } }
        #expect(modules == labels)
        #expect(packages.first { $0["name"] as? String == "plinth-caret" }?["version"] as? String == "1.0^20230101git1-1.el9")
    }

    static let osv = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("PlinthCatalogTests/Fixtures/osv")

    /// What rpm itself says of two EVRs: -1, 0 or 1 (`rpm.vercmp`, Debian package rpm).
    static func rpmVercmp(_ a: String, _ b: String) async throws -> Int {
        let (ok, output) = try await TestRegistries.run("rpm", ["--eval", "%{lua: print(rpm.vercmp(\"\(a)\", \"\(b)\"))}"])
        #expect(ok, "\(output)")
        return Int(output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 99
    }

    /// Real AlmaLinux 9, Rocky Linux 9 and Red Hat OSV records matched against the packages rpm
    /// made: every finding, and every entry left out, is what rpm's own ordering says of the
    /// version installed against the fix. AlmaLinux names binary rpms, Rocky source rpms, Red Hat
    /// either (its RHEL 9.2 EUS record names binaries, one below its fix and one at it).
    @Test(arguments: [
        ("rpmbuild-alma", "almalinux", ("almalinux", "9.1"), "AlmaLinux:9", AdvisoryEcosystem.Keys.binary),
        ("rpmbuild-rocky", "rocky", ("rocky", "9.1"), "Rocky Linux:9", .source),
        ("rpmbuild-ubi", "redhat", ("rhel", "9.2"), "Red Hat:rhel_eus:9.2::appstream", .both),
    ])
    func advisoriesAgreeWithRPMsOwnOrdering(fixture: String, feed: String, os: (String, String), ecosystem: String, keys: AdvisoryEcosystem.Keys) async throws {
        let (database, catalog, synced, failed) = try await registries.syncedFixture(fixture, os: os, logger: logger)
        #expect(failed == [false])
        let digest = try #require(synced)
        _ = try await catalog.importAdvisories(try AdvisorySource.files(at: Self.osv.appendingPathComponent(feed).path))

        // The installed packages, by the names the feed files them under, at the versions it compares.
        var installed: [String: [String]] = [:]
        for row in try Self.expected("rpmbuild-el9") {
            let f = row.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            let epoch = f[1].isEmpty ? "" : f[1] + ":"
            if keys != .source {
                installed[f[0], default: []].append(epoch + f[2] + "-" + f[3])
            }
            if keys != .binary {
                let parts = f[5].replacingOccurrences(of: ".src.rpm", with: "").split(separator: "-")
                installed[parts.dropLast(2).joined(separator: "-"), default: []].append(epoch + parts.suffix(2).joined(separator: "-"))
            }
        }
        var expected: Set<String> = []
        var decided = 0
        for file in try FileManager.default.contentsOfDirectory(atPath: Self.osv.appendingPathComponent(feed).path) where file.hasSuffix(".json") {
            let record = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.osv.appendingPathComponent("\(feed)/\(file)"))) as? [String: Any]
            for affected in record?["affected"] as? [[String: Any]] ?? [] {
                let package = affected["package"] as? [String: Any]
                guard package?["ecosystem"] as? String == ecosystem, let name = package?["name"] as? String, let versions = installed[name] else { continue }
                let fixes = (affected["ranges"] as? [[String: Any]] ?? []).flatMap { ($0["events"] as? [[String: String]] ?? []).compactMap { $0["fixed"] } }
                for version in versions {
                    for fixed in fixes {
                        decided += 1
                        if try await Self.rpmVercmp(version, fixed) < 0 { expected.insert("\(record?["id"] as? String ?? "")\t\(name)") }
                    }
                }
            }
        }
        #expect(decided >= 1, "the records must decide something about these packages")
        #expect(!expected.isEmpty)

        let wanted = expected
        let app = Application(router: try PlinthApplication.router(catalog: catalog, metrics: PrometheusCollectorRegistry()))
        try await app.test(.router) { client in
            let response = try await client.execute(uri: "/v1/digests/\(digest)/advisories", method: .get)
            #expect(response.status == .ok)
            let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
            let items = body?["items"] as? [[String: Any]] ?? []
            let found = Set(items.map { "\($0["id"] as? String ?? "")\t\($0["package"] as? String ?? "")" })
            #expect(found == wanted)
            #expect(items.allSatisfy { $0["ecosystem"] as? String == ecosystem })
        }
        _ = database
    }
}
