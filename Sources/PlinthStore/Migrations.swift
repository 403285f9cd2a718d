import Foundation
import GRDB

/// The schema migrations: the numbered `migrations/NNNN_name.sql` files (SQLite) and
/// `migrations/postgres/NNNN_name.sql` (PostgreSQL, the same numbers saying the same thing),
/// embedded in the binary at build time and applied in order: on SQLite by GRDB's migrator,
/// which records each; on PostgreSQL by `PostgresStore.migrate`, in `plinth_migrations`.
public enum Migrations {
    public enum Backend: Sendable {
        case sqlite, postgres
    }

    public struct File: Sendable, Hashable {
        public var number: Int
        public var name: String
        public var sql: String
    }

    public enum LoadError: Error, CustomStringConvertible {
        case badName(String)
        case notSequential(expected: Int, got: String)

        public var description: String {
            switch self {
            case .badName(let name): "migration file '\(name)' is not named NNNN_description.sql"
            case .notSequential(let expected, let got): "migration \(got) breaks the sequence: expected number \(expected)"
            }
        }
    }

    /// The embedded migrations of a backend, in order.
    public static func embedded(backend: Backend = .sqlite) throws -> [File] {
        let files = EmbeddedFiles.files.mapValues { String(decoding: $0, as: UTF8.self) }
        switch backend {
        case .sqlite:
            return try parse(files.filter { !$0.key.contains("/") })
        case .postgres:
            let prefix = "postgres/"
            return try parse(Dictionary(uniqueKeysWithValues: files.filter { $0.key.hasPrefix(prefix) }.map { (String($0.key.dropFirst(prefix.count)), $0.value) }))
        }
    }

    /// The statements of a migration file, one by one (PostgreSQL's extended protocol takes one
    /// statement a query): split at a `;` that ends a line outside a `$$` body; comment lines dropped.
    static func statements(of sql: String) -> [String] {
        var statements: [String] = []
        var current: [Substring] = []
        var inBody = false
        for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if !inBody, trimmed.hasPrefix("--") || trimmed.isEmpty { continue }
            current.append(line)
            if line.components(separatedBy: "$$").count % 2 == 0 { inBody.toggle() }
            if !inBody, trimmed.hasSuffix(";") {
                statements.append(current.joined(separator: "\n"))
                current = []
            }
        }
        let rest = current.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        if !rest.isEmpty { statements.append(rest) }
        return statements
    }

    static func parse(_ files: [String: String]) throws -> [File] {
        let parsed = try files.filter { $0.key.hasSuffix(".sql") }.map { name, sql in
            let digits = name.prefix { $0.isNumber }
            guard digits.count == 4, let number = Int(digits), name.dropFirst(4).first == "_" else { throw LoadError.badName(name) }
            return File(number: number, name: String(name.dropLast(4)), sql: sql)
        }.sorted { $0.number < $1.number }
        for (offset, file) in parsed.enumerated() where file.number != offset + 1 {
            throw LoadError.notSequential(expected: offset + 1, got: file.name)
        }
        return parsed
    }

    /// Work a migration needs beyond SQL, run in its transaction. Like the files, never
    /// changed once released.
    static let followUps: [String: @Sendable (Database) throws -> Void] = [
        // The audit log became a hash chain: seal the events written before it.
        "0003_governance": SQLiteStore.sealUnchainedEvents
    ]

    static func migrator() throws -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for file in try embedded() {
            migrator.registerMigration(file.name) { db in
                try db.execute(sql: file.sql)
                try followUps[file.name]?(db)
            }
        }
        return migrator
    }
}
