import Foundation
import GRDB
import PlinthCore

extension SQLiteStore {
    /// Appends an event to the chain: its id follows the last event's, and its hash covers it
    /// and the last event's hash. Writes are serialised by SQLite, so the chain never forks.
    static func append(_ event: AuditEvent, _ db: Database) throws {
        var event = event
        event.recordedAt = Timestamp.format(event.at)
        let last = try Row.fetchOne(db, sql: "SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1")
        let id = (last?["id"] as Int64? ?? 0) + 1
        let previous = last?["hash"] as String? ?? AuditChain.genesis
        try db.execute(
            sql: """
                INSERT INTO audit_events (id, at, actor, action, subject, image, reason, before, after, detail, prev_hash, hash)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                id, event.recordedAt, event.actor, event.action, event.subject, event.image, event.reason, event.before, event.after,
                event.detail, previous, AuditChain.hash(of: event, id: id, previous: previous),
            ])
    }

    /// Seals events written before the chain existed (migration 0003), in id order.
    static func sealUnchainedEvents(_ db: Database) throws {
        var previous = AuditChain.genesis
        for row in try Row.fetchAll(db, sql: "SELECT * FROM audit_events ORDER BY id") {
            var event = try auditEvent(row)
            if let hash = event.hash {
                previous = hash
                continue
            }
            event.previousHash = previous
            let hash = AuditChain.hash(of: event, id: event.id!, previous: previous)
            try db.execute(sql: "UPDATE audit_events SET prev_hash = ?, hash = ? WHERE id = ?", arguments: [previous, hash, event.id])
            previous = hash
        }
    }

    static func auditEvent(_ row: Row) throws -> AuditEvent {
        var event = AuditEvent(
            at: try Timestamp.parse(row["at"]), actor: row["actor"], action: row["action"], subject: row["subject"], image: row["image"],
            reason: row["reason"], before: row["before"], after: row["after"], detail: row["detail"])
        event.id = row["id"]
        event.recordedAt = row["at"]
        event.previousHash = row["prev_hash"]
        event.hash = row["hash"]
        return event
    }

    public func auditEvents(_ filter: AuditFilter, limit: Int) async throws -> [AuditEvent] {
        try await pool.read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            func add(_ condition: String, _ value: (any DatabaseValueConvertible)?) {
                guard let value else { return }
                conditions.append(condition)
                arguments += [value]
            }
            add("actor = ?", filter.actor)
            add("subject = ?", filter.subject)
            add("action = ?", filter.action)
            add("at >= ?", filter.since.map(Timestamp.format))
            add("at < ?", filter.until.map(Timestamp.format))
            add("id < ?", filter.before)
            if let prefixes = filter.actionPrefixes {
                conditions.append("(" + (prefixes.isEmpty ? "0" : prefixes.map { _ in "substr(action, 1, length(?)) = ?" }.joined(separator: " OR ")) + ")")
                for prefix in prefixes { arguments += [prefix, prefix] }
            }
            if let image = filter.image {
                // The entry's own events, and those about digests its tags pointed at and their
                // platform manifests (revocations and their lifting).
                conditions.append(
                    """
                    (image = ? OR subject IN (SELECT o.digest FROM observations o
                        JOIN image_tags t ON t.repository = o.repository AND t.tag = o.tag WHERE t.image_name = ?)
                     OR subject IN (SELECT c.child_digest FROM index_children c JOIN observations o ON o.digest = c.index_digest
                        JOIN image_tags t ON t.repository = o.repository AND t.tag = o.tag WHERE t.image_name = ?))
                    """)
                arguments += [image, image, image]
            }
            let clause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            arguments += [limit]
            return try Row.fetchAll(db, sql: "SELECT * FROM audit_events \(clause) ORDER BY \(filter.byTime ? "at DESC, id DESC" : "id DESC") LIMIT ?", arguments: arguments)
                .map(Self.auditEvent)
        }
    }

    public func auditEvents(after id: Int64, limit: Int) async throws -> [AuditEvent] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit_events WHERE id > ? ORDER BY id LIMIT ?", arguments: [id, limit]).map(Self.auditEvent)
        }
    }

    // MARK: Webhooks

    public func webhookCursor(_ webhook: String) async throws -> Int64? {
        try await pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT last_event_id FROM webhook_cursors WHERE webhook = ?", arguments: [webhook])
        }
    }

    public func startWebhook(_ webhook: String) async throws -> Int64 {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO webhook_cursors (webhook, last_event_id) VALUES (?, (SELECT coalesce(max(id), 0) FROM audit_events))
                    ON CONFLICT(webhook) DO NOTHING
                    """,
                arguments: [webhook])
            return try Int64.fetchOne(db, sql: "SELECT last_event_id FROM webhook_cursors WHERE webhook = ?", arguments: [webhook]) ?? 0
        }
    }

    public func recordDelivery(_ attempt: DeliveryAttempt?, webhook: String, advanceTo eventID: Int64?) async throws {
        try await pool.write { db in
            if let attempt {
                try db.execute(
                    sql: "INSERT INTO webhook_deliveries (webhook, event_id, attempt, at, status, error) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [attempt.webhook, attempt.eventID, attempt.attempt, Timestamp.format(attempt.at), attempt.status, attempt.error])
            }
            if let eventID {
                try db.execute(
                    sql: """
                        INSERT INTO webhook_cursors (webhook, last_event_id) VALUES (?, ?)
                        ON CONFLICT(webhook) DO UPDATE SET last_event_id = max(last_event_id, excluded.last_event_id)
                        """,
                    arguments: [webhook, eventID])
            }
        }
    }

    public func deliveries(of webhook: String) async throws -> [DeliveryAttempt] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM webhook_deliveries WHERE webhook = ? ORDER BY id", arguments: [webhook]).map {
                DeliveryAttempt(
                    webhook: $0["webhook"], eventID: $0["event_id"], attempt: $0["attempt"], at: try Timestamp.parse($0["at"]), status: $0["status"],
                    error: $0["error"])
            }
        }
    }
}

extension SQLiteStore {
    // MARK: Jobs

    /// One process writes a SQLite catalog's jobs (the in-process scheduler keeps to one run).
    public func exclusively<T: Sendable>(_ name: String, _ body: @Sendable () async throws -> T) async throws -> T? {
        try await body()
    }

    public func claimRun(of job: String, every interval: Duration, now: Date) async throws -> JobRun? {
        try await pool.write { db in
            if let row = try Row.fetchOne(db, sql: "SELECT started_at, finished_at FROM jobs WHERE name = ?", arguments: [job]) {
                let run = try JobRun(job: job, recordedStart: row["started_at"], resumed: true)
                if row["finished_at"] as String? == nil { return run }
                guard JobRun.due(started: run.startedAt, now: now, every: interval) else { return nil }
            }
            try db.execute(
                sql: """
                    INSERT INTO jobs (name, started_at, finished_at) VALUES (?, ?, NULL)
                    ON CONFLICT(name) DO UPDATE SET started_at = excluded.started_at, finished_at = NULL
                    """, arguments: [job, Timestamp.format(now)])
            return try JobRun(job: job, recordedStart: Timestamp.format(now), resumed: false)
        }
    }

    public func finishRun(_ run: JobRun, at: Date) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE jobs SET finished_at = ? WHERE name = ? AND started_at = ?",
                arguments: [Timestamp.format(at), run.job, run.recordedStart])
        }
    }
}
