import Foundation
import GRDB
import Logging
import PlinthCore
import PostgresNIO

/// Copies a catalog from SQLite to an empty PostgreSQL database (`plinth migrate-store`):
/// every table's rows as they are (entries, tag history, approvals, tokens' hashes, webhook
/// cursors, advisories, the audit chain with its hashes), in one PostgreSQL transaction, then
/// verifies the chain at the destination and compares every table's row count.
public enum StoreCopy {
    /// The tables, parents before children (the foreign keys hold at every insert).
    static let tables = [
        "images", "image_tags", "manifests", "index_children", "observations", "approvals", "revocations", "packages", "audit_events",
        "tag_sync_state", "tokens", "holds", "webhook_cursors", "webhook_deliveries", "advisories", "advisory_documents", "advisory_packages",
        "advisory_exceptions", "manifest_os", "manifest_layers", "jobs", "signature_checks",
        "built_images", "manifest_surface",
    ]
    /// Identity columns, whose sequences continue after the copied ids.
    static let identities = ["observations": "id", "webhook_deliveries": "id"]
    static let batch = 500

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// What was copied: rows per table, and the audit chain as verified at the destination.
    public struct Report: Sendable {
        public var rows: [(table: String, count: Int)] = []
        public var verification: AuditChain.Verification = .valid(events: 0, head: AuditChain.genesis)
    }

    public static func copy(
        from source: StoreLocation, to destination: StoreLocation, logger: Logger, progress: @Sendable (String, Int) -> Void = { _, _ in }
    ) async throws -> Report {
        guard case .sqlite(let path) = source else { throw Failure(description: "--from must be a SQLite catalog (sqlite:PATH)") }
        guard case .postgres(let url) = destination else { throw Failure(description: "--to must be a PostgreSQL database (postgres://…)") }
        guard FileManager.default.fileExists(atPath: path) else { throw Failure(description: "no SQLite catalog at \(path)") }
        let from = try SQLiteStore(path: path, logger: logger)
        let to = try await PostgresStore(url: url, logger: logger)
        let sourceChain = AuditChain.verify(try await from.auditEvents(after: 0, limit: Int.max))
        if case .broken(let id, let reason) = sourceChain {
            throw Failure(description: "the source's audit chain does not verify at event \(id) (\(reason)); nothing was copied")
        }
        let sourceVersion = try await from.pool.read { db in try Int64.fetchOne(db, sql: "SELECT version FROM store_version WHERE id = 1") ?? 0 }

        var report = Report()
        try await to.mapErrors {
            try await to.client.withTransaction(logger: logger) { connection in
                _ = try await to.rows("SELECT pg_advisory_xact_lock(\(PostgresStore.writeLock))", on: connection)
                for table in tables {
                    let existing = try await to.row(PostgresQuery(unsafeSQL: "SELECT count(*) AS n FROM \(table)"), on: connection)?.value("n", as: Int64.self) ?? 0
                    guard existing == 0 else {
                        throw Failure(description: "\(to.location) already holds a catalog (\(table) has \(existing) rows); copy into an empty database")
                    }
                }
                for table in tables {
                    var copied = 0
                    var offset = 0
                    while true {
                        let start = offset
                        let (count, document) = try await from.pool.read { db in
                            let rows = try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY rowid LIMIT ? OFFSET ?", arguments: [batch, start]).map(json)
                            return (rows.count, String(decoding: try JSONSerialization.data(withJSONObject: rows), as: UTF8.self))
                        }
                        if count == 0 { break }
                        var binds = PostgresBindings()
                        binds.append(document)
                        let overriding = identities[table] == nil ? "" : "OVERRIDING SYSTEM VALUE "
                        _ = try await to.rows(
                            PostgresQuery(unsafeSQL: "INSERT INTO \(table) \(overriding)SELECT * FROM json_populate_recordset(NULL::\(table), $1::json)", binds: binds),
                            on: connection)
                        copied += count
                        offset += batch
                        progress(table, copied)
                    }
                    if let column = identities[table] {
                        _ = try await to.rows(
                            PostgresQuery(
                                unsafeSQL: "SELECT setval(pg_get_serial_sequence('\(table)', '\(column)'), coalesce((SELECT max(\(column)) FROM \(table)), 0) + 1, false)"),
                            on: connection)
                    }
                    report.rows.append((table, copied))
                }
                _ = try await to.rows("UPDATE store_version SET version = \(sourceVersion) WHERE id = 1", on: connection)
            }
        }
        // What arrived: the same rows, and a chain that verifies to the same head.
        for (table, count) in report.rows {
            let there = try await to.row(PostgresQuery(unsafeSQL: "SELECT count(*) AS n FROM \(table)"))?.value("n", as: Int64.self) ?? 0
            guard there == count else { throw Failure(description: "\(table): \(count) rows read, \(there) at the destination") }
        }
        report.verification = AuditChain.verify(try await to.auditEvents(after: 0, limit: Int.max))
        guard report.verification == sourceChain else {
            throw Failure(description: "the copied audit chain does not match the source's: \(report.verification) (source \(sourceChain))")
        }
        return report
    }

    /// A row as a JSON object of its columns: blobs as PostgreSQL's hex bytea text.
    static func json(_ row: Row) -> [String: Any] {
        var object: [String: Any] = [:]
        for (column, value) in row {
            switch value.storage {
            case .null: object[column] = NSNull()
            case .int64(let number): object[column] = NSNumber(value: number)
            case .double(let number): object[column] = NSNumber(value: number)
            case .string(let text): object[column] = text
            case .blob(let data): object[column] = "\\x" + data.map { String(format: "%02x", $0) }.joined()
            }
        }
        return object
    }
}
