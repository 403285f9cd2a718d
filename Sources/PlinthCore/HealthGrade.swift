import Foundation

/// A digest's health, A (best) to F, after Red Hat's Container Health Index: the age of the
/// oldest critical or high advisory that still affects the digest although its ecosystem has
/// a fix, worsened by the digest no longer being what its tag points at.
///
/// 1. Advisory age (from the advisory's publication) of each unexcepted critical or high
///    finding with a fix available:
///    - none: **A**
///    - critical up to 7 days old, high up to 30: **B**
///    - critical up to 30 days, high up to 90: **C**
///    - critical up to 90 days, high up to 365: **D**
///    - older: **E**
///    The worst finding decides.
/// 2. Freshness: a digest that is not its tag's current approved one (`superseded`, or
///    `pending`) is one grade worse (at most E); an `expired`, `revoked` or unknown digest
///    is **F** whatever its packages.
///
/// Advisories without a fix in the ecosystem do not count: nothing can be done by rebuilding.
public enum HealthGrade: String, Sendable, Codable, CaseIterable, Comparable {
    case A, B, C, D, E, F

    public static func < (a: HealthGrade, b: HealthGrade) -> Bool { a.rawValue < b.rawValue }

    func worse(by steps: Int) -> HealthGrade {
        let all = Self.allCases
        return all[min(all.firstIndex(of: self)! + steps, all.count - 1)]
    }

    /// Age limits (days) for B, C, D by severity; past the last, E.
    static let limits: [AdvisorySeverity: [Int]] = [.critical: [7, 30, 90], .high: [30, 90, 365]]

    /// An unfixed-in-this-digest advisory that counts: its severity and when it was published.
    public struct Exposure: Sendable, Hashable {
        public var severity: AdvisorySeverity
        public var published: Date

        public init(severity: AdvisorySeverity, published: Date) {
            self.severity = severity
            self.published = published
        }
    }

    /// The grade at `now`, and the moment it next gets worse by the clock alone (an advisory
    /// crossing an age limit, or a grace period ending), if it will.
    public static func grade(exposures: [Exposure], verdict: Verdict, graceUntil: Date?, now: Date) -> (grade: HealthGrade, nextDrop: Date?) {
        if [.expired, .revoked, .unknown].contains(verdict) { return (.F, nil) }
        var grade = HealthGrade.A
        var drops: [Date] = []
        for exposure in exposures {
            guard let limits = limits[exposure.severity] else { continue }
            let age = now.timeIntervalSince(exposure.published) / 86_400
            let step = limits.firstIndex { age <= Double($0) } ?? limits.count
            grade = max(grade, HealthGrade.allCases[step + 1])
            if step < limits.count { drops.append(exposure.published.addingTimeInterval(Double(limits[step]) * 86_400)) }
        }
        if verdict == .superseded || verdict == .pending { grade = grade.worse(by: 1) }
        if verdict == .superseded, let graceUntil { drops.append(graceUntil) }
        return (min(grade, .E), drops.filter { $0 > now }.min())
    }
}
