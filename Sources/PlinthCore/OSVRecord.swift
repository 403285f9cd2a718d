import Foundation

/// An OSV advisory (ossf/osv-schema), the fields Plinth uses. Unknown fields are ignored, as the
/// schema asks of readers; the ones used are checked by `parse`.
public struct OSVRecord: Sendable, Hashable, Codable {
    public struct Severity: Sendable, Hashable, Codable {
        /// `CVSS_V2`, `CVSS_V3`, `CVSS_V4`, `Ubuntu`.
        public var type: String
        public var score: String
    }

    public struct Package: Sendable, Hashable, Codable {
        public var ecosystem: String
        public var name: String
        public var purl: String?

        public init(ecosystem: String, name: String, purl: String? = nil) {
            self.ecosystem = ecosystem
            self.name = name
            self.purl = purl
        }
    }

    public struct Event: Sendable, Hashable, Codable {
        public var introduced: String?
        public var fixed: String?
        public var last_affected: String?
        public var limit: String?

        public init(introduced: String? = nil, fixed: String? = nil, last_affected: String? = nil, limit: String? = nil) {
            self.introduced = introduced
            self.fixed = fixed
            self.last_affected = last_affected
            self.limit = limit
        }
    }

    public struct Range: Sendable, Hashable, Codable {
        /// `ECOSYSTEM`, `SEMVER` or `GIT`; only the first two order versions.
        public var type: String
        public var events: [Event]

        public init(type: String, events: [Event]) {
            self.type = type
            self.events = events
        }
    }

    public struct Affected: Sendable, Hashable, Codable {
        public var package: Package?
        public var ranges: [Range]?
        public var versions: [String]?
        public var severity: [Severity]?
        /// The vendor's own rating, where an ecosystem puts one (`ubuntu_priority`, `severity`).
        public var ecosystem_specific: Rating?
        public var database_specific: Rating?

        public init(package: Package?, ranges: [Range]?, versions: [String]?) {
            self.package = package
            self.ranges = ranges
            self.versions = versions
        }
    }

    /// Where feeds put their own severity words.
    public struct Rating: Sendable, Hashable, Codable {
        public var severity: String?
        public var ubuntu_priority: String?
    }

    public var id: String
    public var modified: String
    public var published: String?
    public var withdrawn: String?
    public var aliases: [String]?
    public var summary: String?
    public var details: String?
    public var severity: [Severity]?
    public var affected: [Affected]?
    public var database_specific: Rating?

    public struct ValidationError: Error, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// A record from JSON, checked: an id, RFC 3339 times, events with exactly one field each,
    /// `ECOSYSTEM` ranges with an `introduced`.
    public static func parse(_ data: Data) throws(ValidationError) -> OSVRecord {
        let record: OSVRecord
        do { record = try JSONDecoder().decode(OSVRecord.self, from: data) } catch {
            throw ValidationError(description: "not an OSV record: \(Self.describe(error))")
        }
        try record.validate()
        return record
    }

    func validate() throws(ValidationError) {
        guard !id.isEmpty, id.count <= 200, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.:".contains($0)) }) else {
            throw ValidationError(description: "id '\(id.prefix(80))' is not an OSV id")
        }
        for (name, value) in [("modified", Optional(modified)), ("published", published), ("withdrawn", withdrawn)] {
            if let value, OSVRecord.date(value) == nil { throw ValidationError(description: "\(id): \(name) '\(value.prefix(40))' is not an RFC 3339 time") }
        }
        for (index, affected) in (affected ?? []).enumerated() {
            for range in affected.ranges ?? [] {
                for event in range.events {
                    let set = [event.introduced, event.fixed, event.last_affected, event.limit].compactMap { $0 }
                    guard set.count == 1 else {
                        throw ValidationError(description: "\(id): affected[\(index)]: each event must have exactly one of introduced, fixed, last_affected, limit")
                    }
                }
                if range.type == "ECOSYSTEM" || range.type == "SEMVER", !range.events.contains(where: { $0.introduced != nil }) {
                    throw ValidationError(description: "\(id): affected[\(index)]: a range needs an introduced event")
                }
            }
        }
    }

    /// The record's time as a date (RFC 3339, with or without fractional seconds).
    public static func date(_ text: String) -> Date? {
        if let fast = utcDate(text) { return fast }
        let full = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        let plain = Date.ISO8601FormatStyle()
        return (try? full.parse(text)) ?? (try? plain.parse(text))
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fff…]Z` read by hand: matching reads one per affected package, and
    /// Foundation's ISO 8601 parsing cost most of the advisory benchmark's time.
    static func utcDate(_ text: String) -> Date? {
        let b = Array(text.utf8)
        guard b.count >= 20, b.last == UInt8(ascii: "Z"), b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b[10] == UInt8(ascii: "T"),
            b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":")
        else { return nil }
        func number(_ range: Swift.Range<Int>) -> Int? {
            var value = 0
            for i in range {
                guard b[i] >= UInt8(ascii: "0"), b[i] <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(b[i] - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), let hour = number(11..<13), let minute = number(14..<16),
            let second = number(17..<19), (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var fraction = 0.0
        if b.count > 20 {
            guard b[19] == UInt8(ascii: "."), b.count > 21 else { return nil }
            var scale = 0.1
            for i in 20..<(b.count - 1) {
                guard b[i] >= UInt8(ascii: "0"), b[i] <= UInt8(ascii: "9") else { return nil }
                fraction += Double(b[i] - UInt8(ascii: "0")) * scale
                scale /= 10
            }
        } else if b[19] != UInt8(ascii: "Z") {
            return nil
        }
        // Days from the civil date (H. Hinnant's algorithm), then seconds.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let shiftedMonth: Int = month + (month > 2 ? -3 : 9)
        let dayOfYear: Int = (153 * shiftedMonth + 2) / 5 + day - 1
        let dayOfEra: Int = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days: Int = era * 146_097 + dayOfEra - 719_468
        let seconds: Int = days * 86_400 + hour * 3600 + minute * 60 + second
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    public var modifiedDate: Date? { Self.date(modified) }
    public var publishedDate: Date? { published.flatMap(Self.date) }

    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        switch error {
        case .keyNotFound(let key, let context): return "field '\((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))' is missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "field '\(context.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type"
        case .dataCorrupted(let context): return context.codingPath.isEmpty ? "not valid JSON" : "field '\(context.codingPath.map(\.stringValue).joined(separator: "."))' is malformed"
        @unknown default: return "malformed"
        }
    }
}

/// OSV's rule for whether a version is affected (osv-schema "Evaluation"): listed in
/// `versions`, or inside a range whose events, in the ecosystem's order, leave it between an
/// `introduced` and the next `fixed` (or at most `last_affected`), below any `limit`.
public enum OSVEvaluation {
    public static func isAffected(_ version: String, by affected: OSVRecord.Affected, scheme: VersionScheme) -> Bool {
        // OSV's pseudocode compares listed versions for equality: the string as listed.
        if let versions = affected.versions, versions.contains(version) { return true }
        for range in affected.ranges ?? [] where range.type == "ECOSYSTEM" {
            if isInside(version, range: range, scheme: scheme) { return true }
        }
        return false
    }

    /// The version that fixes it in this ecosystem, when a range names one.
    public static func fixedVersion(for version: String, in affected: OSVRecord.Affected, scheme: VersionScheme) -> String? {
        for range in affected.ranges ?? [] where range.type == "ECOSYSTEM" {
            let fixes = range.events.compactMap(\.fixed).filter { (try? compare($0, version, scheme)) ?? 0 > 0 }
            if let first = fixes.min(by: { ((try? compare($0, $1, scheme)) ?? 0) < 0 }) { return first }
        }
        return nil
    }

    static func isInside(_ version: String, range: OSVRecord.Range, scheme: VersionScheme) -> Bool {
        let limits = range.events.compactMap(\.limit)
        if !limits.isEmpty, !limits.contains(where: { $0 == "*" || ((try? compare(version, $0, scheme)) ?? 1) < 0 }) { return false }
        let events = range.events.filter { $0.limit == nil }.sorted { a, b in
            ((try? compare(eventVersion(a), eventVersion(b), scheme)) ?? 0) < 0
        }
        var vulnerable = false
        for event in events {
            if let introduced = event.introduced {
                if ((try? compare(version, introduced, scheme)) ?? -1) >= 0 { vulnerable = true }
            } else if let fixed = event.fixed {
                if ((try? compare(version, fixed, scheme)) ?? -1) >= 0 { vulnerable = false }
            } else if let last = event.last_affected {
                if ((try? compare(version, last, scheme)) ?? -1) > 0 { vulnerable = false }
            }
        }
        return vulnerable
    }

    static func eventVersion(_ event: OSVRecord.Event) -> String {
        event.introduced ?? event.fixed ?? event.last_affected ?? event.limit ?? "0"
    }

    /// The ecosystem's order, with OSV's `"0"` before every version.
    static func compare(_ a: String, _ b: String, _ scheme: VersionScheme) throws -> Int {
        if a == b { return 0 }
        if a == "0" { return -1 }
        if b == "0" { return 1 }
        return try scheme.compare(a, b)
    }
}
