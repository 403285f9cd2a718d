import Foundation

/// Times as the store keeps them: RFC 3339 in UTC with milliseconds, a fixed width so
/// that text order is time order.
public enum Timestamp {
    static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)

    public static func format(_ date: Date) -> String { style.format(date) }

    public static func parse(_ text: String) throws -> Date { try style.parse(text) }
}
