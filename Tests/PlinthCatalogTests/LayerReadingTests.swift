import Foundation
import Logging
import PlinthCore
import PlinthRegistry
import PlinthStore
import PlinthTestSupport
import Testing

@testable import PlinthCatalog

/// Packages read from image layers on the real test registry, against what the package
/// managers' own tools say of the same files.
@Suite("Layer reading", .serialized)
struct LayerReadingTests {
    let registries: TestRegistries
    let logger = Logger(label: "test.layers")

    init() async throws {
        registries = try await TestRegistries.shared()
    }

    static let pkgdb = TestRegistries.repositoryRoot.appendingPathComponent("scripts/test-registries/pkgdb")

    func sync(_ fixture: String, os: (String, String)) async throws -> (TestDatabase, Catalog, Digest) {
        let synced = try await registries.syncedFixture(fixture, os: os, logger: logger)
        #expect(synced.failed == [false])
        return (synced.database, synced.catalog, try #require(synced.digest))
    }

    @Test func dpkgPackagesEqualWhatDpkgQueryListsWithWhiteoutsApplied() async throws {
        let (database, _, digest) = try await sync("debian-pkgs", os: ("ubuntu", "18.04"))
        let packages = try await database.store.packages(of: digest)
        // dpkg-query on the same status file, installed packages only ("ii").
        let admin = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-dpkg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: admin.appendingPathComponent("info"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Self.pkgdb.appendingPathComponent("ubuntu-18.04-dpkg-status"), to: admin.appendingPathComponent("status"))
        let (ok, listing) = try await TestRegistries.run(
            "dpkg-query", ["--admindir=\(admin.path)", "-W", "-f=${db:Status-Abbrev}\t${Package}\t${Version}\t${Architecture}\n"])
        #expect(ok, "\(listing)")
        let expected = listing.split(separator: "\n").filter { $0.hasPrefix("ii ") }.map { line in
            line.split(separator: "\t", omittingEmptySubsequences: false).dropFirst().joined(separator: "\t")
        }.sorted()
        let read = packages.map { "\($0.name)\t\($0.version)\t\($0.arch ?? "")" }.sorted()
        #expect(expected.count == 90)
        #expect(read == expected)
        // The apk database of the first layer was whited out; the old status replaced (opaque folder).
        #expect(packages.allSatisfy { $0.type == "deb" })
        #expect(try await database.store.osRelease(of: digest) == PackageDatabase.OSRelease(id: "ubuntu", versionID: "18.04", prettyName: "Ubuntu 18.04.6 LTS"))
        // Source packages as advisories name them.
        #expect(packages.first { $0.name == "libpam-modules" }?.sourceName == "pam")
    }

    @Test func apkPackagesEqualTheDatabasesOwnRecords() async throws {
        let (database, _, digest) = try await sync("alpine-pkgs", os: ("alpine", "3.16"))
        let packages = try await database.store.packages(of: digest)
        // The database itself: each record's P: and V: lines, paired in order.
        let text = try String(contentsOf: Self.pkgdb.appendingPathComponent("alpine-3.16-apk-installed"), encoding: .utf8)
        var expected: [String] = []
        var name = ""
        for line in text.split(separator: "\n") {
            if line.hasPrefix("P:") { name = String(line.dropFirst(2)) }
            if line.hasPrefix("V:") { expected.append("\(name) \(line.dropFirst(2))") }
        }
        #expect(expected.count == 14)
        #expect(packages.map { "\($0.name) \($0.version)" }.sorted() == expected.sorted())
        #expect(packages.first { $0.name == "alpine-baselayout-data" }?.sourceName == "alpine-baselayout")
        #expect(try await database.store.osRelease(of: digest)?.versionID == "3.16.0")
    }
}
