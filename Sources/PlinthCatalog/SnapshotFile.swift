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
