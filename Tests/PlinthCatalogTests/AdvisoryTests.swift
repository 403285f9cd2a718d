import Foundation
import PlinthCore
import PlinthStore
import PlinthTestSupport
import Testing

@testable import PlinthCatalog

/// OSV advisories: import, and matching against the seeded images' packages.
@Suite("Advisories")
struct AdvisoryTests {
    static let records = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/osv")
    /// docker.io/library/ubuntu:22.04 and :24.04 as seeded.
    static let ubuntu2204 = "sha256:3b06811b2afd3", ubuntu2404 = "sha256:1428a953896ee"

    static func seededWithAdvisories(_ folder: String = "") async throws -> (TestDatabase, Catalog, AdvisoryImportOutcome) {
        let (database, catalog) = try await TestDatabase.seeded()
        let outcome = try await catalog.importAdvisories(try AdvisorySource.files(at: records.appendingPathComponent(folder).path))
        return (database, catalog, outcome)
    }

    static func digest(_ prefix: String, _ database: TestDatabase, image: String) async throws -> Digest {
        try #require(try await database.store.history(of: image).map(\.digest).first { $0.description.hasPrefix(prefix) })
    }

    @Test func importingTwiceChangesNothing() async throws {
        let (database, catalog, first) = try await Self.seededWithAdvisories()
        #expect(first.added == 46)
        let generation = await database.store.generation()
        let second = try await catalog.importAdvisories(try AdvisorySource.files(at: Self.records.path))
        #expect(second.added == 0 && second.updated == 0 && second.unchanged == 46)
        #expect(await database.store.generation() == generation)
        #expect(try await database.store.advisoryCount() == 46)
    }

    @Test func anInvalidRecordRefusesTheImportAndIsNamed() async throws {
        let (database, catalog) = try await TestDatabase.seeded()
        let good = try Data(contentsOf: Self.records.appendingPathComponent("ubuntu/CVE-2024-0553.json"))
        let bad = Data(#"{"id": "BAD-1", "modified": "yesterday"}"#.utf8)
        let both = #"{"id":"BAD-2","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"Debian:12","name":"x"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0","fixed":"1"}]}]}]}"#
        do {
            _ = try await catalog.importAdvisories([("good.json", good), ("bad.json", bad), ("both.json", Data(both.utf8))])
            Issue.record("the import went through")
        } catch let error as AdvisoryImportError {
            #expect(error.problems == [
                "bad.json: BAD-1: modified 'yesterday' is not an RFC 3339 time",
                "both.json: BAD-2: affected[0]: each event must have exactly one of introduced, fixed, last_affected, limit",
            ])
        }
        #expect(try await database.store.advisoryCount() == 0)
    }

    /// The seeded Ubuntu images against the Ubuntu records; every answer checked against
    /// `dpkg --compare-versions`, the tool that defines the order.
    @Test(arguments: [("ubuntu-22-04", ubuntu2204, "22.04"), ("ubuntu-24-04", ubuntu2404, "24.04")])
    func ubuntuImagesAreAffectedExactlyWhereDpkgSaysSo(image: String, prefix: String, release: String) async throws {
        let (database, catalog, _) = try await Self.seededWithAdvisories("ubuntu")
        let digest = try await Self.digest(prefix, database, image: image)
        let report = try await catalog.advisories(of: digest)
        #expect(report.ecosystems == ["Ubuntu:\(release)", "Ubuntu:\(release):LTS"])
        #expect(report.findings.map { "\($0.advisoryID) \($0.package)" } == ["CVE-2024-2236 libgcrypt20"])
        #expect(report.findings.first?.fixedVersion == nil)

        // The oracle: for every affected entry of this release naming an installed source
        // package, dpkg decides whether the installed version is below the fix.
        var installed: [String: String] = [:]
        let answer = try await catalog.lookup(digest)
        for child in answer.platforms {
            for package in try await database.store.packages(of: child.digest) {
                installed[package.sourceName ?? package.name] = package.sourceVersion ?? package.version
            }
        }
        var expected: Set<String> = []
        for file in try AdvisorySource.files(at: Self.records.appendingPathComponent("ubuntu").path) {
            let record = try OSVRecord.parse(file.data)
            for affected in record.affected ?? [] {
                guard let package = affected.package, ["Ubuntu:\(release)", "Ubuntu:\(release):LTS"].contains(package.ecosystem),
                    let version = installed[package.name]
                else { continue }
                let fixes = (affected.ranges ?? []).flatMap(\.events).compactMap(\.fixed)
                var affectedByDpkg = fixes.isEmpty  // introduced 0 and no fix: every version
                for fix in fixes {
                    let (below, _) = try await TestRegistries.run("dpkg", ["--compare-versions", version, "lt", fix])
                    if below { affectedByDpkg = true }
                }
                if affectedByDpkg { expected.insert("\(record.id) \(package.name)") }
            }
        }
        #expect(Set(report.findings.map { "\($0.advisoryID) \($0.package)" }) == expected)
    }

    @Test func anExceptionHidesAnAdvisoryUntilItExpires() async throws {
        let (database, catalog, _) = try await Self.seededWithAdvisories("ubuntu")
        let digest = try await Self.digest(Self.ubuntu2204, database, image: "ubuntu-22-04")
        try await catalog.exceptAdvisory(
            "CVE-2024-2236", image: "ubuntu-22-04", expires: Fixtures.now.addingTimeInterval(86_400), actor: "token:alice",
            reason: "timing side channel; no RSA decryption in our services")
        let report = try await catalog.advisories(of: digest)
        #expect(report.findings.first?.exception?.reason == "timing side channel; no RSA decryption in our services")
        #expect(report.counts.isEmpty)
        let later = database.catalog(now: Fixtures.now.addingTimeInterval(2 * 86_400))
        #expect(try await later.advisories(of: digest).findings.first?.exception == nil)
        let event = try #require(try await database.store.auditEvents(AuditFilter(action: "advisory.except"), limit: 1).first)
        #expect(event.actor == "token:alice")
        #expect(event.image == "ubuntu-22-04")
        await #expect(throws: CurationError.self) {
            try await catalog.exceptAdvisory("CVE-2024-2236", image: "ubuntu-22-04", expires: Fixtures.now.addingTimeInterval(60), actor: "x", reason: "")
        }
    }

    @Test func osvEvaluationFollowsTheSchemaRules() throws {
        let affected = try JSONDecoder().decode(
            OSVRecord.Affected.self,
            from: Data(
                #"""
                {"package": {"ecosystem": "Debian:12", "name": "x"}, "versions": ["3.0-1"],
                 "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.2-1"}]},
                            {"type": "ECOSYSTEM", "events": [{"introduced": "2.0-1"}, {"last_affected": "2.1-1"}]}]}
                """#.utf8))
        for (version, expected) in [("1.1-1", true), ("1.2-1", false), ("1.2~rc1-1", true), ("2.0-1", true), ("2.1-1", true), ("2.1-2", false), ("3.0-1", true), ("3.0-2", false)] {
            #expect(OSVEvaluation.isAffected(version, by: affected, scheme: .deb) == expected, "\(version)")
        }
        #expect(OSVEvaluation.fixedVersion(for: "1.1-1", in: affected, scheme: .deb) == "1.2-1")
    }

    @Test func cvss3BaseScoresMatchTheSpecificationsExamples() {
        #expect(CVSS3.baseScore("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H") == 9.8)
        #expect(CVSS3.baseScore("CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H") == 5.5)
        #expect(CVSS3.baseScore("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H") == 10.0)
        #expect(CVSS3.baseScore("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:N") == 0)
        #expect(CVSS3.baseScore("CVSS:2.0/AV:N") == nil)
    }
}
