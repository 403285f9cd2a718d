import Foundation
import GRDB
import Logging
import PlinthCore
import Synchronization

/// The catalog on SQLite, through one GRDB `DatabasePool` (WAL, foreign keys on).
/// Opening it applies any migration not yet applied.
public final class SQLiteStore: CatalogStore {
    let pool: DatabasePool
    let version = StoreVersion(checkInterval: .seconds(1))

    /// Opens (creating if needed) the database at `path` and migrates it.
    public init(path: String, logger: Logger = Logger(label: "plinth.store")) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(5)
        configuration.label = "plinth"
        pool = try DatabasePool(path: path, configuration: configuration)
        let migrator = try Migrations.migrator()
        let pending = try pool.read { db in try migrator.appliedMigrations(db) }
        try migrator.migrate(pool)
        let applied = try pool.read { db in try migrator.appliedMigrations(db) }
        if applied.count > pending.count {
            logger.info("migrated database", metadata: ["path": "\(path)", "applied": "\(applied.dropFirst(pending.count).joined(separator: ","))"])
        }
    }

    /// The version of `store_version`: a commit here moves it at once; another process's
    /// commit is read within a second.
    public func generation() async -> UInt64 {
        await version.current { [pool] in
            try? await pool.read { db in try UInt64.fetchOne(db, sql: "SELECT version FROM store_version WHERE id = 1") } ?? nil
        }
    }

    /// Moves the store's version in the transaction of a change, recording what it touched;
    /// call `learn` with the result once it commits.
    static func bumpVersion(_ db: Database, scopes: Set<ChangeScope> = [.everything]) throws -> StoreChange {
        try db.execute(sql: "UPDATE store_version SET version = version + 1 WHERE id = 1")
        let version = try UInt64.fetchOne(db, sql: "SELECT version FROM store_version WHERE id = 1") ?? 0
        try db.execute(sql: "INSERT INTO store_changes (version, scopes) VALUES (?, ?)", arguments: [version, StoreVersion.text(of: scopes)])
        if version > StoreVersion.changesKept {
            try db.execute(sql: "DELETE FROM store_changes WHERE version <= ?", arguments: [version - StoreVersion.changesKept])
        }
        return StoreChange(version: version, scopes: scopes.contains(.everything) ? [.everything] : scopes)
    }

    public func changes(after version: UInt64, limit: Int) async throws -> [StoreChange] {
        // This process's own latest commits answer without a read, when they reach as far
        // as this process knows the store has gone.
        if let remembered = self.version.remembered(after: version, limit: limit) { return remembered }
        return try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT version, scopes FROM store_changes WHERE version > ? ORDER BY version LIMIT ?", arguments: [version, limit])
                .map { row in StoreVersion.change(version: row["version"], text: row["scopes"]) }
        }
    }

    /// What a curator's decision touches, read inside its transaction: the entries and
    /// digests whose answers it may change.
    static func scopes(of decision: CurationRules.Decision, _ db: Database) throws -> Set<ChangeScope> {
        switch decision {
        case .approve(let image, let digest):
            return [.entry(image), .digest(digest)]
        case .except(let image, _), .hold(let image, _, _), .release(let image, _):
            return [.entry(image)]
        case .revoke(let digest), .liftRevocation(let digest):
            // The digest, the indexes that list it and the manifests it lists, and every
            // entry whose tags saw any of them (a tag's current digest may move).
            let parents = try parents(of: digest, db).map(\.index)
            let children = try children(of: digest, db).map(\.digest)
            var scopes = Set(([digest] + parents + children).map(ChangeScope.digest))
            let seen = [digest] + parents
            let list = Array(repeating: "?", count: seen.count).joined(separator: ", ")
            for name in try String.fetchAll(
                db,
                sql: """
                    SELECT DISTINCT t.image_name FROM observations o JOIN image_tags t ON t.repository = o.repository AND t.tag = o.tag
                    WHERE o.digest IN (\(list))
                    """, arguments: StatementArguments(seen.map(\.description)))
            {
                scopes.insert(.entry(name))
            }
            return scopes
        }
    }

    /// What an observation touches: the entry tracking its tag (and the one it approves for),
    /// the digest and its children.
    static func scopes(of write: ObservationWrite, _ db: Database) throws -> Set<ChangeScope> {
        let snapshot = write.snapshot
        var scopes = Set<ChangeScope>([.digest(snapshot.digest)] + snapshot.children.map { .digest($0.digest) })
        if let name = try String.fetchOne(
            db, sql: "SELECT image_name FROM image_tags WHERE repository = ? AND tag = ?", arguments: [snapshot.repository, snapshot.tag])
        {
            scopes.insert(.entry(name))
        }
        if let name = write.approveFor { scopes.insert(.entry(name)) }
        return scopes
    }

    func learn(_ committed: StoreChange) { version.learn(committed) }

    // MARK: Entries

    public func entries() async throws -> [StoredEntry] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT document, created_at, updated_at, revision FROM images ORDER BY name").map(Self.storedEntry)
        }
    }

    public func entriesVersion() async throws -> String {
        try await pool.read { db in
            let row = try Row.fetchOne(db, sql: "SELECT count(*) AS n, max(updated_at) AS latest, sum(revision) AS revisions FROM images")
            return "\(row?["n"] as Int? ?? 0) \(row?["latest"] as String? ?? "-") \(row?["revisions"] as Int? ?? 0)"
        }
    }

    public func entry(named name: String) async throws -> StoredEntry? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT document, created_at, updated_at, revision FROM images WHERE name = ?", arguments: [name])
                .map(Self.storedEntry)
        }
    }

    static func storedEntry(_ row: Row) throws -> StoredEntry {
        let document: String = row["document"]
        let entry = try JSONDecoder().decode(CatalogEntry.self, from: Data(document.utf8))
        return StoredEntry(
            entry: entry, createdAt: try Timestamp.parse(row["created_at"]), updatedAt: try Timestamp.parse(row["updated_at"]), revision: row["revision"])
    }

    // MARK: Writes

    /// Runs `body` in one write transaction. It returns its result and what it touched: nil
    /// when it changed nothing a cache keeps (a sync attempt's bookkeeping), else the scopes
    /// recorded with the store's new version.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> (T, Set<ChangeScope>?)) async throws -> T {
        let (result, committed) = try await mapErrors {
            try await pool.write { db -> (T, StoreChange?) in
                let (result, scopes) = try body(db)
                return (result, try scopes.map { try Self.bumpVersion(db, scopes: $0) })
            }
        }
        if let committed { learn(committed) }
        return result
    }

    public func create(_ entry: CatalogEntry, event: AuditEvent) async throws {
        try await write { db in
            try Self.insert(entry, db)
            try Self.append(event, db)
            return ((), [.everything])
        }
    }

    public func update(_ entry: CatalogEntry, revision: Int?, event: AuditEvent) async throws {
        try await write { db in
            try Self.update(entry, revision: revision, db)
            try Self.append(event, db)
            return ((), [.everything])
        }
    }

    @discardableResult
    public func apply(_ plan: CatalogPlan) async throws -> ChangeOutcome {
        guard !plan.isEmpty else { return ChangeOutcome() }
        return try await write { db in
            var outcome = ChangeOutcome()
            for entry in plan.created { try Self.insert(entry, db) }
            for entry in plan.updated { try Self.update(entry, revision: nil, db) }
            var scopes = Set<ChangeScope>()
            for write in plan.observations {
                let before = outcome
                try Self.record(write, db, &outcome)
                if outcome != before { scopes.formUnion(try Self.scopes(of: write, db)) }
            }
            for event in plan.events { try Self.append(event, db) }
            // An entry's document decides which tags it tracks, and so whose runs count.
            if !plan.created.isEmpty || !plan.updated.isEmpty { return (outcome, [.everything]) }
            return (outcome, outcome == ChangeOutcome() && plan.events.isEmpty ? nil : scopes)
        }
    }

    @discardableResult
    public func recordSync(_ observation: ObservationWrite?, attempt: SyncAttempt) async throws -> ChangeOutcome {
        try await write { db in
            var outcome = ChangeOutcome()
            var scopes: Set<ChangeScope>?
            if let observation {
                try Self.record(observation, db, &outcome)
                if outcome != ChangeOutcome() { scopes = try Self.scopes(of: observation, db) }
            }
            try Self.record(attempt, db)
            return (outcome, scopes)
        }
    }

    public func record(_ events: [AuditEvent]) async throws {
        guard !events.isEmpty else { return }
        try await write { db in
            for event in events { try Self.append(event, db) }
            return ((), [])
        }
    }

    public func recordBuiltImage(_ image: BuiltImage) async throws {
        try await write { db in
            let seen = Timestamp.format(image.lastSeen)
            try db.execute(
                sql: """
                    INSERT INTO built_images (repository, manifest, base_digest, reference, source, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (repository, manifest) DO UPDATE SET base_digest = excluded.base_digest, reference = excluded.reference,
                        source = excluded.source, last_seen = excluded.last_seen
                    """,
                arguments: [image.repository, image.manifest.description, image.base.description, image.reference, image.source.rawValue, seen, seen])
            return ((), [])
        }
    }

    public func recordSurface(_ report: SurfaceReport, of manifest: Digest) async throws {
        let json = try SurfaceReport.json(report)
        try await write { db in
            try db.execute(
                sql: "INSERT INTO manifest_surface (manifest_digest, report) VALUES (?, ?) ON CONFLICT(manifest_digest) DO UPDATE SET report = excluded.report",
                arguments: [manifest.description, json])
            return ((), [])
        }
    }

    static func insert(_ entry: CatalogEntry, _ db: Database) throws {
        let now = Timestamp.format(Date())
        try db.execute(
            sql: "INSERT INTO images (name, repository, status, document, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [entry.name, entry.repository, entry.status.rawValue, try Self.document(entry), now, now])
        try Self.writeTags(of: entry, db)
    }

    static func update(_ entry: CatalogEntry, revision expected: Int?, _ db: Database) throws {
        try db.execute(
            sql: """
                UPDATE images SET repository = ?, status = ?, document = ?, updated_at = ?, revision = revision + 1
                WHERE name = ? AND (? IS NULL OR revision = ?)
                """,
            arguments: [entry.repository, entry.status.rawValue, try Self.document(entry), Timestamp.format(Date()), entry.name, expected, expected])
        guard db.changesCount == 1 else {
            if let current = try Int.fetchOne(db, sql: "SELECT revision FROM images WHERE name = ?", arguments: [entry.name]) {
                throw StoreError.staleRevision(image: entry.name, current: current)
            }
            throw StoreError.notFound("image '\(entry.name)'")
        }
        try db.execute(sql: "DELETE FROM image_tags WHERE image_name = ?", arguments: [entry.name])
        try Self.writeTags(of: entry, db)
    }

    static func document(_ entry: CatalogEntry) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(entry), as: UTF8.self)
    }

    static func writeTags(of entry: CatalogEntry, _ db: Database) throws {
        for tag in entry.tags {
            try db.execute(
                sql: "INSERT INTO image_tags (image_name, repository, tag) VALUES (?, ?, ?)",
                arguments: [entry.name, entry.repository, tag])
        }
    }

    /// Drops the kept health bases (migration 0013) a write of packages, OS or platform
    /// manifests changes: of the manifests written, and of every index that lists one.
    static func dropHealthBases(of write: ObservationWrite, _ db: Database) throws {
        let touched = write.healthInputs.map(\.description)
        guard !touched.isEmpty, try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM digest_health)") == true else { return }
        let list = Array(repeating: "?", count: touched.count).joined(separator: ", ")
        try db.execute(
            sql: """
                DELETE FROM digest_health WHERE digest IN (\(list))
                    OR digest IN (SELECT index_digest FROM index_children WHERE child_digest IN (\(list)))
                """, arguments: StatementArguments(touched + touched))
    }

    /// Records one observation: a run of the tag at that digest covering the time is
    /// already known; one that is the tag's latest run is extended; otherwise a new run starts.
    static func record(_ write: ObservationWrite, _ db: Database, _ outcome: inout ChangeOutcome) throws {
        let snapshot = write.snapshot
        let digest = snapshot.digest.description
        let seen = Timestamp.format(snapshot.seenAt)
        try db.execute(
            sql: "INSERT INTO manifests (digest, media_type, content, first_seen) VALUES (?, ?, NULL, ?) ON CONFLICT(digest) DO NOTHING",
            arguments: [digest, snapshot.mediaType.rawValue, seen])
        for document in write.documents {
            // Exact bytes as received; a row known without its bytes (seeded) gets them now.
            try db.execute(
                sql: """
                    INSERT INTO manifests (digest, media_type, content, first_seen) VALUES (?, ?, ?, ?)
                    ON CONFLICT(digest) DO UPDATE SET content = excluded.content WHERE manifests.content IS NULL
                    """,
                arguments: [document.digest.description, document.mediaType.rawValue, Data(document.bytes), seen])
        }
        for (position, child) in snapshot.children.enumerated() {
            try db.execute(
                sql: """
                    INSERT INTO index_children (index_digest, child_digest, media_type, platform, is_attestation, position)
                    VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                    """,
                arguments: [digest, child.digest.description, child.mediaType.rawValue, child.platform.description, child.isAttestation, position])
        }
        for (manifest, layers) in write.diffIDs {
            for (position, diffID) in layers.enumerated() {
                try db.execute(
                    sql: "INSERT INTO manifest_layers (manifest_digest, position, diff_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                    arguments: [manifest.description, position, diffID.description])
            }
        }
        if let check = write.signature {
            try db.execute(
                sql: """
                    INSERT INTO signature_checks (digest, verified, method, signer, source, found, reason, checked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(digest) DO UPDATE SET verified = excluded.verified, method = excluded.method, signer = excluded.signer,
                        source = excluded.source, found = excluded.found, reason = excluded.reason, checked_at = excluded.checked_at
                    """,
                arguments: [
                    digest, check.verified, check.method, check.signer, check.source, check.found, check.reason, Timestamp.format(check.checkedAt),
                ])
        }
        for (manifest, surface) in write.surfaces {
            try db.execute(
                sql: "INSERT INTO manifest_surface (manifest_digest, report) VALUES (?, ?) ON CONFLICT(manifest_digest) DO UPDATE SET report = excluded.report",
                arguments: [manifest.description, try SurfaceReport.json(surface)])
        }
        for (manifest, os) in write.osReleases {
            try db.execute(
                sql: """
                    INSERT INTO manifest_os (manifest_digest, os_id, version_id, pretty_name) VALUES (?, ?, ?, ?)
                    ON CONFLICT(manifest_digest) DO NOTHING
                    """,
                arguments: [manifest.description, os.id, os.versionID, os.prettyName])
        }
        for (manifest, packages) in snapshot.packages {
            for package in packages {
                try db.execute(
                    sql: """
                        INSERT INTO packages (manifest_digest, type, name, version, arch, source_name, source_version, source_rpm, module)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                        """,
                    arguments: [
                        manifest.description, package.type, package.name, package.version, package.arch, package.sourceName, package.sourceVersion,
                        package.sourceRPM, package.module,
                    ])
            }
        }
        try dropHealthBases(of: write, db)
        let covered = try Bool.fetchOne(
            db,
            sql: "SELECT EXISTS (SELECT 1 FROM observations WHERE repository = ? AND tag = ? AND digest = ? AND first_seen <= ? AND last_seen >= ?)",
            arguments: [snapshot.repository, snapshot.tag, digest, seen, seen]) ?? false
        if !covered {
            let latest = try Row.fetchOne(
                db,
                sql: "SELECT id, digest, last_seen FROM observations WHERE repository = ? AND tag = ? ORDER BY first_seen DESC, id DESC LIMIT 1",
                arguments: [snapshot.repository, snapshot.tag])
            if let latest, latest["digest"] as String == digest, (latest["last_seen"] as String) < seen {
                try db.execute(sql: "UPDATE observations SET last_seen = ? WHERE id = ?", arguments: [seen, latest["id"] as Int64])
                outcome.extendedObservations += 1
            } else {
                try db.execute(
                    sql: "INSERT INTO observations (repository, tag, digest, first_seen, last_seen, source, flags) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    arguments: [snapshot.repository, snapshot.tag, digest, seen, seen, snapshot.source, write.flags.joined(separator: ",")])
                outcome.newObservations += 1
            }
        }
        if let image = write.approveFor, let approval = write.approval {
            try db.execute(
                sql: """
                    INSERT INTO approvals (image_name, digest, approved_by, approved_at, reason) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT(image_name, digest) DO NOTHING
                    """,
                arguments: [image, digest, approval.by, Timestamp.format(approval.at), approval.reason])
            if db.changesCount == 1 {
                outcome.approvalsAdded += 1
                try append(Curation.automaticApproval(digest, image: image, tag: snapshot.tag, approval), db)
            }
        }
    }

    // MARK: Reads

    public func facts(about digest: Digest) async throws -> DigestFacts? {
        try await pool.read { db in
            guard let manifest = try Row.fetchOne(db, sql: "SELECT media_type, first_seen FROM manifests WHERE digest = ?", arguments: [digest.description])
            else { return nil }
            // Every (entry, tag) whose tag pointed at this digest.
            let tagRows = try Row.fetchAll(
                db,
                sql: """
                    SELECT DISTINCT t.image_name, t.repository, t.tag, i.document
                    FROM observations o
                    JOIN image_tags t ON t.repository = o.repository AND t.tag = o.tag
                    JOIN images i ON i.name = t.image_name
                    WHERE o.digest = ?
                    ORDER BY t.image_name, t.tag
                    """,
                arguments: [digest.description])
            var lineages: [TagLineage] = []
            var revocations: [Digest: Revocation] = [:]
            for row in tagRows {
                let image: String = row["image_name"]
                let entry = try JSONDecoder().decode(CatalogEntry.self, from: Data((row["document"] as String).utf8))
                var lineage = try Self.lineage(image: image, repository: row["repository"], tag: row["tag"], graceDays: entry.approval.graceDays, db)
                lineage.hold = try Self.holds(of: image, db)[lineage.tag]
                lineages.append(lineage)
                for seen in lineage.digests where revocations[seen.digest] == nil {
                    if let revocation = try Self.revocation(of: seen.digest, db) { revocations[seen.digest] = revocation }
                }
            }
            if let revocation = try Self.revocation(of: digest, db) { revocations[digest] = revocation }
            let span = try Row.fetchOne(
                db, sql: "SELECT min(first_seen) AS first, max(last_seen) AS last FROM observations WHERE digest = ?", arguments: [digest.description])
            let children = try Self.children(of: digest, db)
            return DigestFacts(
                digest: digest, mediaType: MediaType(manifest["media_type"] as String), lineages: lineages, revocations: revocations,
                children: children,
                firstSeen: try (span?["first"] as String?).map(Timestamp.parse),
                lastSeen: try (span?["last"] as String?).map(Timestamp.parse))
        }
    }

    static func lineage(image: String, repository: String, tag: String, graceDays: Int, _ db: Database) throws -> TagLineage {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT o.digest, min(o.first_seen) AS first_seen, max(o.last_seen) AS last_seen,
                       a.approved_by, a.approved_at, a.reason
                FROM observations o
                LEFT JOIN approvals a ON a.image_name = ? AND a.digest = o.digest
                WHERE o.repository = ? AND o.tag = ?
                GROUP BY o.digest
                """,
            arguments: [image, repository, tag])
        let digests = try rows.map { row in
            let approval: Approval? =
                if let by = row["approved_by"] as String? {
                    Approval(by: by, at: try Timestamp.parse(row["approved_at"]), reason: row["reason"])
                } else { nil }
            return TagDigest(
                digest: try Digest(parsing: row["digest"]), firstSeen: try Timestamp.parse(row["first_seen"]),
                lastSeen: try Timestamp.parse(row["last_seen"]), approval: approval)
        }
        return TagLineage(image: image, repository: repository, tag: tag, graceDays: graceDays, digests: digests)
    }

    static func revocation(of digest: Digest, _ db: Database) throws -> Revocation? {
        try Row.fetchOne(db, sql: "SELECT revoked_by, revoked_at, reason FROM revocations WHERE digest = ?", arguments: [digest.description]).map {
            Revocation(by: $0["revoked_by"], at: try Timestamp.parse($0["revoked_at"]), reason: $0["reason"])
        }
    }

    public func parents(of digest: Digest) async throws -> [ParentIndex] {
        try await pool.read { db in try Self.parents(of: digest, db) }
    }

    static func parents(of digest: Digest, _ db: Database) throws -> [ParentIndex] {
        try Row.fetchAll(
            db, sql: "SELECT index_digest, media_type, platform FROM index_children WHERE child_digest = ? ORDER BY index_digest",
            arguments: [digest.description]
        ).map { row in
            ParentIndex(
                index: try Digest(parsing: row["index_digest"]),
                child: IndexChild(digest: digest, mediaType: MediaType(row["media_type"] as String), platform: try Platform(parsing: row["platform"])))
        }
    }

    public func history(of image: String) async throws -> [TagObservation] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT o.repository, o.tag, o.digest, o.first_seen, o.last_seen, o.source, o.flags
                    FROM observations o JOIN image_tags t ON t.repository = o.repository AND t.tag = o.tag
                    WHERE t.image_name = ?
                    ORDER BY o.tag, o.first_seen, o.id
                    """,
                arguments: [image]
            ).map(Self.observation)
        }
    }

    public func records(of images: [String]) async throws -> [String: EntryRecords] {
        try await records(of: images, collapsingRuns: false)
    }

    public func records(of images: [String], collapsingRuns: Bool) async throws -> [String: EntryRecords] {
        let runs =
            collapsingRuns
            ? """
            SELECT t.image_name, o.repository, o.tag, o.digest, min(o.first_seen) AS first_seen, max(o.last_seen) AS last_seen,
                min(o.source) AS source, '' AS flags
            FROM observations o JOIN image_tags t ON t.repository = o.repository AND t.tag = o.tag
            WHERE t.image_name IN (%@) GROUP BY t.image_name, o.repository, o.tag, o.digest ORDER BY o.tag, min(o.first_seen), min(o.id)
            """
            : """
            SELECT t.image_name, o.repository, o.tag, o.digest, o.first_seen, o.last_seen, o.source, o.flags
            FROM observations o JOIN image_tags t ON t.repository = o.repository AND t.tag = o.tag
            WHERE t.image_name IN (%@) ORDER BY o.tag, o.first_seen, o.id
            """
        return try await pool.read { db in
            var result = Dictionary(images.map { ($0, EntryRecords()) }, uniquingKeysWith: { first, _ in first })
            // In batches, within SQLite's limit on bound parameters.
            for batch in stride(from: 0, to: images.count, by: 500).map({ Array(images[$0..<min($0 + 500, images.count)]) }) {
                let list = Array(repeating: "?", count: batch.count).joined(separator: ", ")
                let names = StatementArguments(batch)
                for row in try Row.fetchAll(db, sql: runs.replacingOccurrences(of: "%@", with: list), arguments: names) {
                    result[row["image_name"], default: EntryRecords()].runs.append(try Self.observation(row))
                }
                for row in try Row.fetchAll(
                    db, sql: "SELECT image_name, digest, approved_by, approved_at, reason FROM approvals WHERE image_name IN (\(list))", arguments: names)
                {
                    result[row["image_name"], default: EntryRecords()].approvals[try Digest(parsing: row["digest"])] = Approval(
                        by: row["approved_by"], at: try Timestamp.parse(row["approved_at"]), reason: row["reason"])
                }
                for row in try Row.fetchAll(
                    db,
                    sql: """
                        SELECT t.image_name, s.repository, s.tag, s.last_attempt_at, s.last_success_at, s.last_error, s.last_error_at
                        FROM tag_sync_state s JOIN image_tags t ON t.repository = s.repository AND t.tag = s.tag
                        WHERE t.image_name IN (\(list)) ORDER BY s.tag
                        """, arguments: names)
                {
                    result[row["image_name"], default: EntryRecords()].syncStates.append(try Self.syncState(row))
                }
                for row in try Row.fetchAll(
                    db, sql: "SELECT image_name, tag, digest, held_by, held_at, reason FROM holds WHERE image_name IN (\(list))", arguments: names)
                {
                    result[row["image_name"], default: EntryRecords()].holds[row["tag"]] = Hold(
                        digest: try Digest(parsing: row["digest"]), by: row["held_by"], at: try Timestamp.parse(row["held_at"]), reason: row["reason"])
                }
            }
            return result
        }
    }

    public func entriesWithUnapprovedRuns() async throws -> [String] {
        try await pool.read { db in
            try String.fetchAll(
                db,
                sql: """
                    SELECT DISTINCT t.image_name FROM observations o JOIN image_tags t ON t.repository = o.repository AND t.tag = o.tag
                    WHERE NOT EXISTS (SELECT 1 FROM approvals a WHERE a.image_name = t.image_name AND a.digest = o.digest)
                    ORDER BY t.image_name
                    """)
        }
    }

    public func recentRuns(limit: Int, offset: Int) async throws -> [TrackedRun] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT o.id, t.image_name, o.repository, o.tag, o.digest, o.first_seen, o.last_seen, o.source, o.flags,
                        (SELECT p.digest FROM observations p
                         WHERE p.repository = o.repository AND p.tag = o.tag AND (p.first_seen < o.first_seen OR (p.first_seen = o.first_seen AND p.id < o.id))
                         ORDER BY p.first_seen DESC, p.id DESC LIMIT 1) AS previous
                    FROM observations o JOIN image_tags t ON t.repository = o.repository AND t.tag = o.tag
                    ORDER BY o.first_seen DESC, o.id DESC LIMIT ? OFFSET ?
                    """,
                arguments: [limit, offset]
            ).map { row in
                TrackedRun(sequence: row["id"], image: row["image_name"], run: try Self.observation(row), previous: try (row["previous"] as String?).map(Digest.init(parsing:)))
            }
        }
    }

    static func observation(_ row: Row) throws -> TagObservation {
        let flags: String = row["flags"]
        return TagObservation(
            repository: row["repository"], tag: row["tag"], digest: try Digest(parsing: row["digest"]),
            firstSeen: try Timestamp.parse(row["first_seen"]), lastSeen: try Timestamp.parse(row["last_seen"]), source: row["source"],
            flags: flags.split(separator: ",").map(String.init))
    }

    public func manifestContent(_ digest: Digest) async throws -> Data? {
        try await pool.read { db in
            try Data.fetchOne(db, sql: "SELECT content FROM manifests WHERE digest = ?", arguments: [digest.description])
        }
    }

    public func currentRun(repository: String, tag: String) async throws -> TagObservation? {
        try await pool.read { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT repository, tag, digest, first_seen, last_seen, source, flags FROM observations
                    WHERE repository = ? AND tag = ? ORDER BY first_seen DESC, id DESC LIMIT 1
                    """,
                arguments: [repository, tag]
            ).map(Self.observation)
        }
    }

    public func children(of index: Digest) async throws -> [IndexChild] {
        try await pool.read { db in try Self.children(of: index, db) }
    }

    static func children(of index: Digest, _ db: Database) throws -> [IndexChild] {
        try Row.fetchAll(
            db, sql: "SELECT child_digest, media_type, platform FROM index_children WHERE index_digest = ? ORDER BY position",
            arguments: [index.description]
        ).map { row in
            IndexChild(digest: try Digest(parsing: row["child_digest"]), mediaType: MediaType(row["media_type"] as String), platform: try Platform(parsing: row["platform"]))
        }
    }

    static func record(_ attempt: SyncAttempt, _ db: Database) throws {
        let time = Timestamp.format(attempt.at)
        if let error = attempt.error {
            try db.execute(
                sql: """
                    INSERT INTO tag_sync_state (repository, tag, last_attempt_at, last_error, last_error_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT(repository, tag) DO UPDATE SET last_attempt_at = excluded.last_attempt_at,
                        last_error = excluded.last_error, last_error_at = excluded.last_error_at
                    """,
                arguments: [attempt.repository, attempt.tag, time, error, time])
        } else {
            try db.execute(
                sql: """
                    INSERT INTO tag_sync_state (repository, tag, last_attempt_at, last_success_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT(repository, tag) DO UPDATE SET last_attempt_at = excluded.last_attempt_at,
                        last_success_at = excluded.last_success_at, last_error = NULL, last_error_at = NULL
                    """,
                arguments: [attempt.repository, attempt.tag, time, time])
        }
    }

    public func syncStates(of image: String) async throws -> [SyncState] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT s.repository, s.tag, s.last_attempt_at, s.last_success_at, s.last_error, s.last_error_at
                    FROM tag_sync_state s JOIN image_tags t ON t.repository = s.repository AND t.tag = s.tag
                    WHERE t.image_name = ? ORDER BY s.tag
                    """,
                arguments: [image]
            ).map(Self.syncState)
        }
    }

    static func syncState(_ row: Row) throws -> SyncState {
        SyncState(
            repository: row["repository"], tag: row["tag"], lastAttemptAt: try Timestamp.parse(row["last_attempt_at"]),
            lastSuccessAt: try (row["last_success_at"] as String?).map(Timestamp.parse), lastError: row["last_error"],
            lastErrorAt: try (row["last_error_at"] as String?).map(Timestamp.parse))
    }

    public func approvals(of image: String) async throws -> [Digest: Approval] {
        try await pool.read { db in
            var result: [Digest: Approval] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT digest, approved_by, approved_at, reason FROM approvals WHERE image_name = ?", arguments: [image]) {
                result[try Digest(parsing: row["digest"])] = Approval(by: row["approved_by"], at: try Timestamp.parse(row["approved_at"]), reason: row["reason"])
            }
            return result
        }
    }

    public func revocations() async throws -> [Digest: Revocation] {
        try await pool.read { db in
            var result: [Digest: Revocation] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT digest, revoked_by, revoked_at, reason FROM revocations") {
                result[try Digest(parsing: row["digest"])] = Revocation(by: row["revoked_by"], at: try Timestamp.parse(row["revoked_at"]), reason: row["reason"])
            }
            return result
        }
    }

    public func packages(of manifest: Digest) async throws -> [InstalledPackage] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT type, name, version, arch, source_name, source_version, source_rpm, module FROM packages
                    WHERE manifest_digest = ? ORDER BY name, arch, version
                    """,
                arguments: [manifest.description]
            ).map {
                InstalledPackage(
                    type: $0["type"], name: $0["name"], version: $0["version"], arch: $0["arch"], sourceName: $0["source_name"],
                    sourceVersion: $0["source_version"], sourceRPM: $0["source_rpm"], module: $0["module"])
            }
        }
    }

    /// Maps SQLite constraint failures to domain errors so that SQL never reaches a caller.
    func mapErrors<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE || error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
            throw StoreError.alreadyExists(Self.subject(of: error))
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw StoreError.conflict("the change breaks a catalog invariant (\(Self.subject(of: error)))")
        }
    }

    static func subject(of error: DatabaseError) -> String {
        let message = error.message ?? ""
        if message.contains("image_tags.repository") { return "a tag tracked by another entry" }
        if message.contains("images.name") { return "an image with that name" }
        if message.contains("tokens.name") { return "a token with that name" }
        return "a record with that key"
    }
}
