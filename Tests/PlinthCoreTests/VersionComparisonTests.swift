import Foundation
import Testing

@testable import PlinthCore

/// Every row of the upstream tools' own version tables (Fixtures/version-vectors, each file
/// citing its source: dpkg, apk-tools, rpm).
@Suite("Version ordering against upstream tables")
struct VersionComparisonTests {
    struct Row: Sendable, CustomTestStringConvertible {
        var file: String
        var line: Int
        var fields: [String]
        var testDescription: String { "\(file):\(line) \(fields.joined(separator: " | "))" }
    }

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/version-vectors")

    /// The data rows of a table: not comments, not the header.
    static func rows(_ file: String) -> [Row] {
        guard let text = try? String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8) else { return [] }
        var rows: [Row] = []
        var headerSeen = false
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.hasPrefix("#") || line.isEmpty { continue }
            if !headerSeen {
                headerSeen = true
                continue
            }
            rows.append(Row(file: file, line: index + 1, fields: line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)))
        }
        return rows
    }

    @Test func everyTableIsThere() {
        for (file, count) in [
            ("dpkg_Dpkg_Version_t.tsv", 48), ("dpkg_t-version_c.tsv", 13), ("dpkg_Dpkg_Version_t_parts.tsv", 10), ("apk-tools_version_data.tsv", 738),
            ("apk-tools_version_data_fuzzy.tsv", 16), ("apk-tools_version_data_validity.tsv", 31), ("rpm_rpmvercmp_at.tsv", 91),
            ("rpm_rpmvercmp_at_oddities.tsv", 12), ("dpkg_t-version_c_parse.tsv", 30),
        ] {
            #expect(Self.rows(file).count == count, "\(file)")
        }
    }

    @Test(arguments: rows("dpkg_Dpkg_Version_t.tsv") + rows("dpkg_t-version_c.tsv"))
    func dpkg(row: Row) throws {
        #expect(try VersionScheme.deb.compare(row.fields[0], row.fields[1]) == Int(row.fields[2]))
    }

    @Test(arguments: rows("dpkg_Dpkg_Version_t_parts.tsv"))
    func dpkgParts(row: Row) {
        #expect(DebianVersion.compareParts(row.fields[0], row.fields[1]) == Int(row.fields[2]))
    }

    @Test(arguments: rows("dpkg_t-version_c_parse.tsv").filter { !$0.fields[0].contains(" for X in ") && !$0.fields[0].hasPrefix("\\t") })
    func dpkgParsing(row: Row) {
        let outcome = row.fields[4]
        do {
            let version = try DebianVersion(parsing: row.fields[0])
            #expect(!outcome.hasPrefix("error"), "parsed what dpkg refuses")
            // Rows that only warn list no fields: parsing is all they ask.
            guard !(outcome.hasPrefix("warning") && row.fields[1].isEmpty) else { return }
            #expect(String(version.epoch) == row.fields[1])
            #expect(version.upstream == row.fields[2])
            #expect(version.revision == row.fields[3])
        } catch {
            #expect(outcome.hasPrefix("error"), "refused what dpkg accepts: \(error)")
        }
    }

    @Test func dpkgParsingTrimsBlanksAndAcceptsWhatItOnlyWarnsAbout() throws {
        let trimmed = try DebianVersion(parsing: "\t0:0-1 ")
        #expect(trimmed.revision == "1")
        for x in "!#@$%&/|\\<>()[]{};,_=*^'" {
            #expect((try? DebianVersion(parsing: "0:0\(x)-0")) != nil, "upstream with \(x)")
            #expect((try? DebianVersion(parsing: "0:0-0\(x)")) != nil, "revision with \(x)")
        }
    }

    @Test(arguments: rows("apk-tools_version_data.tsv"))
    func apk(row: Row) throws {
        #expect(try VersionScheme.apk.compare(row.fields[0], row.fields[1]) == Int(row.fields[2]))
    }

    @Test(arguments: rows("apk-tools_version_data_validity.tsv"))
    func apkValidity(row: Row) {
        #expect(APKVersion.isValid(row.fields[0]) == (row.fields[1] == "valid"))
    }

    @Test(arguments: rows("apk-tools_version_data_fuzzy.tsv"))
    func apkFuzzy(row: Row) {
        #expect(APKVersion.matches(row.fields[0], row.fields[1], row.fields[2]) == true)
    }

    @Test(arguments: rows("rpm_rpmvercmp_at.tsv") + rows("rpm_rpmvercmp_at_oddities.tsv"))
    func rpm(row: Row) throws {
        #expect(RPMVersion.vercmp(row.fields[0], row.fields[1]) == Int(row.fields[2]))
        #expect(try VersionScheme.rpm.compare(row.fields[0], row.fields[1]) == Int(row.fields[2]))
    }

    @Test func rpmEVR() throws {
        #expect(try VersionScheme.rpm.compare("1:1.0-1", "2.0-1") == 1)
        #expect(try VersionScheme.rpm.compare("1.0-1.el9", "1.0-1.el9_2") == -1)
        #expect(try VersionScheme.rpm.compare("1.0", "1.0-1") == -1)
    }
}
