import Foundation
import Testing

@testable import PlinthStore

@Suite struct TimestampTests {
    /// The hand-written reader agrees with Foundation's ISO 8601 parser on the store's form,
    /// across leap days, month ends, the epoch and far dates.
    @Test func readsTheStoresFormAsFoundationDoes() throws {
        var generator = SystemRandomNumberGenerator()
        var dates = [0, 951_782_400, 951_868_799.999, 1_709_164_800, 4_102_444_799.5, -86_400, 253_402_300_799].map(Date.init(timeIntervalSince1970:))
        for _ in 0..<2000 { dates.append(Date(timeIntervalSince1970: Double(Int64.random(in: -2_000_000_000_000...250_000_000_000_000, using: &generator)) / 1000)) }
        for date in dates {
            let text = Timestamp.format(date)
            let fast = try #require(Timestamp.fixedWidth(text), "\(text)")
            // The same millisecond (the two may round the last bit of the Double differently).
            #expect(abs(fast.timeIntervalSince(try Timestamp.style.parse(text))) < 0.0005, "\(text)")
        }
    }

    @Test(arguments: ["2026-02-29T00:00:00.000Z", "2026-13-01T00:00:00.000Z", "2026-04-31T10:00:00.000Z", "2026-01-01T24:00:00.000Z", "2026-01-01T00:00:00Z", "2026-01-01 00:00:00.000Z", "2026-0a-01T00:00:00.000Z"])
    func leavesAnythingElseToFoundation(_ text: String) {
        #expect(Timestamp.fixedWidth(text) == nil)
    }
}
