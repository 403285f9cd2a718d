import Foundation
import PlinthCore

/// What a digest's health grade is made from, kept by the store per digest (migration 0013):
/// the advisories that affect its packages, each with what the grade reads of it. Matching
/// advisories is the costly part of a grade; the rest (the verdict, the clock, which
/// exceptions are still in force) is worked out when the grade is read, so a kept basis
/// stands until an advisory import, an exception or the digest's packages change it.
struct HealthBasis: Codable, Sendable, Hashable {
    struct Finding: Codable, Sendable, Hashable {
        var severity: AdvisorySeverity
        var published: Date?
        /// Whether the ecosystem has a version that fixes it.
        var fixed: Bool
        /// When the entry's exception for the advisory expires, if it has one.
        var exceptionExpires: Date?
    }

    /// The OSV ecosystems matched; empty when the OS is one Plinth does not match.
    var ecosystems: [String]
    var note: String?
    var findings: [Finding]

    init(_ report: AdvisoryReport) {
        ecosystems = report.ecosystems
        note = report.note
        findings = report.findings.map {
            Finding(severity: $0.severity, published: $0.published, fixed: $0.fixedVersion != nil, exceptionExpires: $0.exception?.expiresAt)
        }
    }

    /// The health at `moment`, for a digest of that verdict: see `HealthGrade` (fixed high and
    /// critical advisories without an exception in force lower the grade as they age).
    func health(verdict: Verdict, graceUntil: Date?, now moment: Date) -> DigestHealth {
        let open = findings.filter { finding in finding.exceptionExpires.map { $0 <= moment } ?? true }
        let exposures = open.compactMap { finding -> HealthGrade.Exposure? in
            guard finding.fixed, finding.severity >= .high, let published = finding.published else { return nil }
            return HealthGrade.Exposure(severity: finding.severity, published: published)
        }
        let (grade, nextDrop) = HealthGrade.grade(exposures: exposures, verdict: verdict, graceUntil: graceUntil, now: moment)
        let ungraded = ecosystems.isEmpty && note.map { $0.contains("publishes no OSV feed") } == true
        return DigestHealth(
            grade: ungraded ? nil : grade, nextDrop: ungraded ? nil : nextDrop,
            advisories: Dictionary(grouping: open, by: \.severity).mapValues(\.count), note: note,
            exceptionExpires: findings.compactMap(\.exceptionExpires).filter { $0 > moment }.min())
    }

    // Dates as seconds since the reference date, which JSON carries exactly.
    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    static func parse(_ text: String) throws -> HealthBasis {
        try JSONDecoder().decode(HealthBasis.self, from: Data(text.utf8))
    }
}
