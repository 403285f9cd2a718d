import Foundation
import Testing

@testable import PlinthCatalog

@Suite("RFC 3339 formatting")
struct RFC3339Tests {
    static let cases: [(Double, String)] = [
        (0.0, "1970-01-01T00:00:00Z"),
        (1_789_689_600, "2026-09-18T00:00:00Z"),
        (951_782_400, "2000-02-29T00:00:00Z"),
        (4_107_542_399, "2100-02-28T23:59:59Z"),
        (1_795_780_800.25, "2026-11-27T12:00:00.250Z"),
        (-1, "1969-12-31T23:59:59Z"),
        (-86_400 * 365.0, "1969-01-01T00:00:00Z"),
    ]

    @Test(arguments: cases)
    func formats(_ seconds: Double, _ expected: String) {
        #expect(RFC3339.format(Date(timeIntervalSince1970: seconds)) == expected)
    }

    @Test func agreesWithFoundationOverManyInstants() {
        // Every 7 hours and 13 seconds across 1999 to 2101, against Foundation's formatter.
        let style = Date.ISO8601FormatStyle(timeZone: .gmt)
        var t = 915_148_800.0
        while t < 4_133_980_800 {
            let date = Date(timeIntervalSince1970: t)
            #expect(RFC3339.format(date) == style.format(date))
            t += 7 * 3600 + 13
        }
    }

    @Test func parsesWhatItFormats() {
        let date = Date(timeIntervalSince1970: 1_795_780_800.25)
        #expect(RFC3339.parse(RFC3339.format(date)) == date)
    }

    @Test func offsetsFoundationRefusesAreReadAsRFC3339AllowsThem() {
        #expect(RFC3339.parse("0668-06-22T07:15:16+22:34") == RFC3339.parse("0668-06-21T08:41:16Z"))
        #expect(RFC3339.parse("2026-11-27T12:00:00-23:59") == RFC3339.parse("2026-11-28T11:59:00Z"))
        #expect(RFC3339.parse("2026-11-27T12:00:00+24:00") == nil)
    }
}
