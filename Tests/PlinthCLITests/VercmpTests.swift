import Foundation
import PlinthTestSupport
import Testing

/// `plinth vercmp --batch` over every row of the upstream comparison tables, as a user would
/// run it.
@Suite("plinth vercmp")
struct VercmpTests {
    static let tables = TestRegistries.repositoryRoot.appendingPathComponent("Tests/PlinthCoreTests/Fixtures/version-vectors")

    /// `left<TAB>right<TAB>expected` rows of a table.
    static func rows(_ file: String) throws -> [(String, String, String)] {
        let text = try String(contentsOf: tables.appendingPathComponent(file), encoding: .utf8)
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.dropFirst().map {
            let fields = $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            return (fields[0], fields[1], fields[2])
        }
    }

    @Test(arguments: [
        ("deb", "dpkg_Dpkg_Version_t.tsv"), ("deb", "dpkg_t-version_c.tsv"), ("apk", "apk-tools_version_data.tsv"), ("rpm", "rpm_rpmvercmp_at.tsv"),
        ("rpm", "rpm_rpmvercmp_at_oddities.tsv"),
    ])
    func agreesWithEveryRow(scheme: String, file: String) async throws {
        let rows = try Self.rows(file)
        #expect(rows.count > 10)
        let result = try await PlinthBinary.run(["vercmp", scheme, "--batch"], input: rows.map { "\($0.0)\t\($0.1)\n" }.joined())
        #expect(result.status == 0, "\(result.stderr)")
        let answers = result.stdout.split(separator: "\n").map(String.init)
        #expect(answers.count == rows.count)
        for (row, answer) in zip(rows, answers) where answer != row.2 {
            Issue.record("\(file): vercmp \(scheme) '\(row.0)' '\(row.1)' gave \(answer), expected \(row.2)")
        }
    }

    @Test func oneComparisonAndItsErrors() async throws {
        let less = try await PlinthBinary.run(["vercmp", "deb", "1.0~rc1", "1.0"])
        #expect(less.stdout == "-1\n")
        let bad = try await PlinthBinary.run(["vercmp", "deb", "a:1", "1.0"])
        #expect(bad.status == 2)
        #expect(bad.stderr == "plinth: epoch in version 'a:1' is not a number\n")
        let badLine = try await PlinthBinary.run(["vercmp", "deb", "--batch"], input: "1\t2\n1.0 2\n")
        #expect(badLine.status == 2)
        #expect(badLine.stderr == "plinth: line 2: expected 'A<TAB>B'\n")
        let unknown = try await PlinthBinary.run(["vercmp", "pacman", "1", "2"])
        #expect(unknown.status == 2)
    }
}
