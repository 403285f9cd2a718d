import Foundation
import Foundation
import Testing

@testable import PlinthCore

@Suite("Health grade")
struct HealthGradeTests {
    static let now = Date(timeIntervalSince1970: 1_795_780_800)
    static func daysAgo(_ days: Double) -> Date { now.addingTimeInterval(-days * 86_400) }

    @Test(arguments: [
        ([], HealthGrade.A),
        ([(AdvisorySeverity.critical, 3.0)], .B),
        ([(.high, 20.0)], .B),
        ([(.critical, 10.0)], .C),
        ([(.high, 60.0)], .C),
        ([(.critical, 60.0)], .D),
        ([(.high, 200.0)], .D),
        ([(.critical, 100.0)], .E),
        ([(.high, 400.0)], .E),
        ([(.high, 20.0), (.critical, 60.0)], .D),
    ] as [([(AdvisorySeverity, Double)], HealthGrade)])
    func gradeFollowsTheOldestExposure(exposures: [(AdvisorySeverity, Double)], expected: HealthGrade) {
        let list = exposures.map { HealthGrade.Exposure(severity: $0.0, published: Self.daysAgo($0.1)) }
        #expect(HealthGrade.grade(exposures: list, verdict: .approved, graceUntil: nil, now: Self.now).grade == expected)
    }

    @Test func theDropDateIsWhenTheNextLimitIsCrossed() {
        let critical = HealthGrade.Exposure(severity: .critical, published: Self.daysAgo(3))
        let (grade, drop) = HealthGrade.grade(exposures: [critical], verdict: .approved, graceUntil: nil, now: Self.now)
        #expect(grade == .B)
        #expect(drop == Self.daysAgo(3).addingTimeInterval(7 * 86_400))
        // No exposure and current: nothing will change by the clock.
        #expect(HealthGrade.grade(exposures: [], verdict: .approved, graceUntil: nil, now: Self.now).nextDrop == nil)
    }

    @Test func freshnessCounts() {
        let grace = Self.now.addingTimeInterval(5 * 86_400)
        let superseded = HealthGrade.grade(exposures: [], verdict: .superseded, graceUntil: grace, now: Self.now)
        #expect(superseded.grade == .B)
        #expect(superseded.nextDrop == grace)
        #expect(HealthGrade.grade(exposures: [], verdict: .expired, graceUntil: nil, now: Self.now).grade == .F)
        #expect(HealthGrade.grade(exposures: [], verdict: .revoked, graceUntil: nil, now: Self.now).grade == .F)
        let old = HealthGrade.Exposure(severity: .critical, published: Self.daysAgo(400))
        #expect(HealthGrade.grade(exposures: [old], verdict: .superseded, graceUntil: grace, now: Self.now).grade == .E)
        // Medium and low advisories do not move the grade.
        let medium = HealthGrade.Exposure(severity: .medium, published: Self.daysAgo(900))
        #expect(HealthGrade.grade(exposures: [medium], verdict: .approved, graceUntil: nil, now: Self.now).grade == .A)
    }
}

@Suite("OSV times")
struct OSVTimeTests {
    @Test(arguments: ["2024-01-26T09:15:00Z", "2024-08-23T16:30:37.123Z", "1999-02-28T23:59:59Z", "2000-02-29T00:00:00.5Z", "2026-11-27T12:00:00Z"])
    func theFastPathAgreesWithFoundation(text: String) throws {
        let foundation = try Date.ISO8601FormatStyle(includingFractionalSeconds: text.contains(".")).parse(text)
        let fast = try #require(OSVRecord.utcDate(text))
        #expect(abs(fast.timeIntervalSince(foundation)) < 0.001)
    }

    @Test func otherFormsFallBackToFoundation() {
        #expect(OSVRecord.utcDate("2024-01-26T09:15:00+02:00") == nil)
        #expect(OSVRecord.date("2024-01-26T09:15:00+02:00") != nil)
        #expect(OSVRecord.date("yesterday") == nil)
        #expect(OSVRecord.utcDate("2024-13-26T09:15:00Z") == nil)
    }
}
