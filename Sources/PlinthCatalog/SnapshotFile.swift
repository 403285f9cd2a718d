import Foundation
import PlinthCore

/// A file of `seed-data/snapshots/`: registry facts with where they come from.
struct SnapshotFile: Codable, Sendable {
    var provenance: String
    var snapshots: [ImageSnapshot]

    static func parse(_ data: Data, file: String) throws(EntryFileError) -> SnapshotFile {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = RFC3339.parse(text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "'\(text)' is not an RFC 3339 time"))
            }
            return date
        }
        do {
            return try decoder.decode(SnapshotFile.self, from: data)
        } catch let error as DecodingError {
            let (path, message): ([any CodingKey], String) =
                switch error {
                case .dataCorrupted(let c): (c.codingPath, c.debugDescription)
                case .keyNotFound(let key, let c): (c.codingPath + [key], "required field is missing")
                case .typeMismatch(_, let c): (c.codingPath, c.debugDescription)
                case .valueNotFound(_, let c): (c.codingPath, c.debugDescription)
                @unknown default: ([], "\(error)")
                }
            let pointer = "/" + path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: "/")
            throw EntryFileError(file: file, line: nil, field: pointer, message: message)
        } catch {
            throw EntryFileError(file: file, line: nil, field: nil, message: "\(error)")
        }
    }
}

/// RFC 3339 times in UTC, as the API prints them.
public enum RFC3339 {
    static let withFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)
    static let plain = Date.ISO8601FormatStyle(includingFractionalSeconds: false, timeZone: .gmt)

    public static func parse(_ text: String) -> Date? {
        (try? withFraction.parse(text)) ?? (try? plain.parse(text))
    }

    /// `2026-09-18T00:00:00Z`, with milliseconds only when there are some.
    public static func format(_ date: Date) -> String {
        let whole = date.timeIntervalSince1970.rounded(.down) == date.timeIntervalSince1970
        return whole ? plain.format(date) : withFraction.format(date)
    }
}
