import Foundation

/// RFC 3339 times in UTC, as the API prints them.
public enum RFC3339 {
    static let withFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)
    static let plain = Date.ISO8601FormatStyle(includingFractionalSeconds: false, timeZone: .gmt)

    public static func parse(_ text: String) -> Date? {
        if let date = (try? withFraction.parse(text)) ?? (try? plain.parse(text)) { return date }
        // Foundation refuses offsets beyond ±18:00, which RFC 3339 allows (up to ±23:59):
        // read the time as UTC and apply the offset by hand.
        let utf8 = Array(text.utf8)
        guard utf8.count > 6, utf8[utf8.count - 3] == UInt8(ascii: ":"), [UInt8(ascii: "+"), UInt8(ascii: "-")].contains(utf8[utf8.count - 6]),
            let hours = Int(String(decoding: utf8[(utf8.count - 5)..<(utf8.count - 3)], as: UTF8.self)),
            let minutes = Int(String(decoding: utf8[(utf8.count - 2)...], as: UTF8.self)), hours <= 23, minutes <= 59
        else { return nil }
        let local = String(decoding: utf8[..<(utf8.count - 6)], as: UTF8.self) + "Z"
        guard let date = (try? withFraction.parse(local)) ?? (try? plain.parse(local)) else { return nil }
        let offset = TimeInterval(hours * 3600 + minutes * 60)
        return utf8[utf8.count - 6] == UInt8(ascii: "+") ? date.addingTimeInterval(-offset) : date.addingTimeInterval(offset)
    }

    /// `2026-09-18T00:00:00Z`, with milliseconds only when there are some.
    ///
    /// Written by hand on the civil-from-days algorithm (H. Hinnant, "chrono-Compatible
    /// Low-Level Date Algorithms"): every API answer carries several times, and the
    /// ISO 8601 formatter behind swift-openapi-runtime's default transcoder takes a lock per
    /// call; under wrk, a perf profile of `GET /v1/digests/{digest}` put its date encoding at
    /// about 40% of the JSON encoding time, with threads waiting on that lock.
    public static func format(_ date: Date) -> String {
        let millisTotal = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var seconds = millisTotal >= 0 ? millisTotal / 1000 : (millisTotal - 999) / 1000
        let millis = Int(millisTotal - seconds * 1000)
        var days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        seconds -= days * 86_400
        days += 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let dayOfEra = days - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)

        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        func put(_ value: Int64, _ width: Int) {
            var digits = [UInt8](repeating: UInt8(ascii: "0"), count: width)
            var v = value
            for i in stride(from: width - 1, through: 0, by: -1) {
                digits[i] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
            }
            bytes += digits
        }
        put(year, 4); bytes.append(UInt8(ascii: "-")); put(month, 2); bytes.append(UInt8(ascii: "-")); put(day, 2)
        bytes.append(UInt8(ascii: "T"))
        put(seconds / 3600, 2); bytes.append(UInt8(ascii: ":")); put(seconds / 60 % 60, 2); bytes.append(UInt8(ascii: ":")); put(seconds % 60, 2)
        if millis != 0 {
            bytes.append(UInt8(ascii: "."))
            put(Int64(millis), 3)
        }
        bytes.append(UInt8(ascii: "Z"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// For swift-openapi-runtime: the API's dates in the same form as `format`.
    public struct Transcoder: Sendable {
        public init() {}
        public func encode(_ date: Date) -> String { RFC3339.format(date) }
        public func decode(_ text: String) throws -> Date {
            guard let date = RFC3339.parse(text) else { throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "'\(text)' is not an RFC 3339 time")) }
            return date
        }
    }
}
