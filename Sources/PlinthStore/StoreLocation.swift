import Foundation
import Logging

/// Where the catalog is kept, as `--db` / `PLINTH_DB` name it: a SQLite file (a path, or
/// `sqlite:PATH`), or a PostgreSQL server (`postgres://user@host:port/db`).
public enum StoreLocation: Hashable, Sendable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(URL)

    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    public init(parsing text: String) throws(Invalid) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw Invalid(description: "--db is empty: give a SQLite file or a postgres:// URL") }
        if trimmed.hasPrefix("postgres://") || trimmed.hasPrefix("postgresql://") {
            guard let url = URL(string: trimmed), url.host?.isEmpty == false, url.path.count > 1 else {
                throw Invalid(description: "'\(Self.redacted(trimmed))' is not a PostgreSQL URL: postgres://user@host[:port]/database")
            }
            self = .postgres(url)
        } else if trimmed.hasPrefix("sqlite:") {
            let path = String(trimmed.dropFirst("sqlite:".count)).replacingOccurrences(of: "//", with: "", options: .anchored)
            guard !path.isEmpty else { throw Invalid(description: "sqlite: needs a file: sqlite:PATH") }
            self = .sqlite(path: path)
        } else if let colon = trimmed.firstIndex(of: ":"), trimmed[..<colon].allSatisfy({ $0.isLetter }), trimmed[..<colon].count > 1,
            trimmed.dropFirst(trimmed.distance(from: trimmed.startIndex, to: colon) + 1).hasPrefix("//")
        {
            throw Invalid(description: "'\(trimmed[..<colon])://' is not a store Plinth knows: use a SQLite file (sqlite:PATH) or postgres://")
        } else {
            self = .sqlite(path: trimmed)
        }
    }

    /// The location without its password, for logs and errors.
    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres(let url): Self.redacted(url.absoluteString)
        }
    }

    static func redacted(_ text: String) -> String {
        guard var components = URLComponents(string: text), components.password != nil else { return text }
        components.password = "***"
        return components.string ?? text
    }
}

/// Opens the store at a location: the one place a backend is chosen.
public enum Stores {
    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String
    }

    public static func open(_ location: StoreLocation, logger: Logger = Logger(label: "plinth.store")) async throws -> any CatalogStore {
        switch location {
        case .sqlite(let path):
            return try SQLiteStore(path: path, logger: logger)
        case .postgres(let url):
            return try await PostgresStore(url: url, logger: logger)
        }
    }
}
