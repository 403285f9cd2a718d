import Foundation
import PlinthCore
import PostgresNIO

extension PostgresRandomAccessRow {
    /// The column's value; nil columns decode as Optional.
    func value<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        try self[column].decode(T.self)
    }

    func time(_ column: String) throws -> Date { try Timestamp.parse(value(column, as: String.self)) }

    func optionalTime(_ column: String) throws -> Date? { try value(column, as: String?.self).map(Timestamp.parse) }

    func digest(_ column: String) throws -> Digest { try Digest(parsing: value(column, as: String.self)) }
}

extension PostgresStore {
    // MARK: Entries

    public func entries() async throws -> [StoredEntry] {
        try await rows("SELECT document, created_at, updated_at, revision FROM images ORDER BY name").map(Self.storedEntry)
    }

    public func entriesVersion() async throws -> String {
        let row = try await row("SELECT count(*) AS n, max(updated_at) AS latest, coalesce(sum(revision), 0)::bigint AS revisions FROM images")
        return "\(try row?.value("n", as: Int64.self) ?? 0) \(try row?.value("latest", as: String?.self) ?? "-") \(try row?.value("revisions", as: Int64.self) ?? 0)"
    }

    public func entry(named name: String) async throws -> StoredEntry? {
        try await row("SELECT document, created_at, updated_at, revision FROM images WHERE name = \(name)").map(Self.storedEntry)
    }

    static func storedEntry(_ row: PostgresRandomAccessRow) throws -> StoredEntry {
        let entry = try JSONDecoder().decode(CatalogEntry.self, from: Data(try row.value("document", as: String.self).utf8))
        return StoredEntry(entry: entry, createdAt: try row.time("created_at"), updatedAt: try row.time("updated_at"), revision: try row.value("revision"))
    }

    // MARK: Digests

    /// Read in a fixed number of queries however many tags saw the digest (one round trip
    /// each: a query per tag showed at 40 tags).
    public func facts(about digest: Digest) async throws -> DigestFacts? {
        try await client.withConnection { connection in
            guard let manifest = try await rows(Prepared.ManifestType(digest.description), on: connection).first else { return nil }
            // Every (entry, tag) whose tag pointed at this digest, with the entry's grace days.
            let tagRows = try await rows(Prepared.TagsThatSaw(digest.description), on: connection)
            var lineages: [TagLineage] = []
            var index: [String: Int] = [:]
            for row in tagRows {
                let image: String = try row.value("image_name")
                let tag: String = try row.value("tag")
                let entry = try JSONDecoder().decode(CatalogEntry.self, from: Data(try row.value("document", as: String.self).utf8))
                index["\(image)\u{0}\(tag)"] = lineages.count
                lineages.append(TagLineage(image: image, repository: try row.value("repository"), tag: tag, graceDays: entry.approval.graceDays, digests: []))
            }
            let images = Array(Set(lineages.map(\.image)))
            if !lineages.isEmpty {
                // Every digest those tags pointed at, with the entry's approval of it.
                for row in try await rows(Prepared.Lineages(digest.description), on: connection)
                {
                    guard let position = index["\(try row.value("image_name", as: String.self))\u{0}\(try row.value("tag", as: String.self))"] else { continue }
                    let approval: Approval? =
                        if let by = try row.value("approved_by", as: String?.self) {
                            Approval(by: by, at: try row.time("approved_at"), reason: try row.value("reason"))
                        } else { nil }
                    lineages[position].digests.append(
                        TagDigest(digest: try row.digest("digest"), firstSeen: try row.time("first_seen"), lastSeen: try row.time("last_seen"), approval: approval))
                }
                for row in try await rows(Prepared.Holds(images), on: connection) {
                    guard let position = index["\(try row.value("image_name", as: String.self))\u{0}\(try row.value("tag", as: String.self))"] else { continue }
                    lineages[position].hold = Hold(
                        digest: try row.digest("digest"), by: try row.value("held_by"), at: try row.time("held_at"), reason: try row.value("reason"))
                }
            }
            let seen = Array(Set([digest.description] + lineages.flatMap { $0.digests.map(\.digest.description) }))
            var revocations: [Digest: Revocation] = [:]
            for row in try await rows(Prepared.Revocations(seen), on: connection) {
                revocations[try row.digest("digest")] = Revocation(by: try row.value("revoked_by"), at: try row.time("revoked_at"), reason: try row.value("reason"))
            }
            let span = try await rows(Prepared.Span(digest.description), on: connection).first
            return DigestFacts(
                digest: digest, mediaType: MediaType(try manifest.value("media_type", as: String.self)), lineages: lineages, revocations: revocations,
                children: try await children(of: digest, connection), firstSeen: try span?.optionalTime("first"), lastSeen: try span?.optionalTime("last"))
        }
    }

    func revocation(of digest: Digest, _ connection: PostgresConnection) async throws -> Revocation? {
        try await row("SELECT revoked_by, revoked_at, reason FROM revocations WHERE digest = \(digest.description)", on: connection).map {
            Revocation(by: try $0.value("revoked_by"), at: try $0.time("revoked_at"), reason: try $0.value("reason"))
        }
    }

    public func parents(of digest: Digest) async throws -> [ParentIndex] {
        try await client.withConnection { try await parents(of: digest, $0) }
    }

    func parents(of digest: Digest, _ connection: PostgresConnection) async throws -> [ParentIndex] {
        try await rows(Prepared.Parents(digest.description), on: connection).map { row in
            ParentIndex(
                index: try row.digest("index_digest"),
                child: IndexChild(digest: digest, mediaType: MediaType(try row.value("media_type", as: String.self)), platform: try Platform(parsing: try row.value("platform"))))
        }
    }

    public func children(of index: Digest) async throws -> [IndexChild] {
        try await client.withConnection { try await children(of: index, $0) }
    }

    func children(of index: Digest, _ connection: PostgresConnection) async throws -> [IndexChild] {
        try await rows(Prepared.Children(index.description), on: connection).map { row in
            IndexChild(digest: try row.digest("child_digest"), mediaType: MediaType(try row.value("media_type", as: String.self)), platform: try Platform(parsing: try row.value("platform")))
        }
    }

    // MARK: Tag history

    static func observation(_ row: PostgresRandomAccessRow) throws -> TagObservation {
        TagObservation(
            repository: try row.value("repository"), tag: try row.value("tag"), digest: try row.digest("digest"), firstSeen: try row.time("first_seen"),
            lastSeen: try row.time("last_seen"), source: try row.value("source"),
            flags: try row.value("flags", as: String.self).split(separator: ",").map(String.init))
    }

    public func history(of image: String) async throws -> [TagObservation] {
        try await rows(
            """
            SELECT o.repository, o.tag, o.digest, o.first_seen, o.last_seen, o.source, o.flags
            FROM observations o JOIN image_tags t ON t.repository = o.repository AND t.tag = o.tag
            WHERE t.image_name = \(image)
            ORDER BY o.tag, o.first_seen, o.id
            """
        ).map(Self.observation)
    }

    public func records(of images: [String]) async throws -> [String: EntryRecords] {
        try await records(of: images, collapsingRuns: false)
    }

    public func records(of images: [String], collapsingRuns: Bool) async throws -> [String: EntryRecords] {
        var result = Dictionary(images.map { ($0, EntryRecords()) }, uniquingKeysWith: { first, _ in first })
        guard !images.isEmpty else { return result }
        let runs: PostgresQuery =
            collapsingRuns
            ? """
            SELECT t.image_name, o.repository, o.tag, o.digest, min(o.first_seen) AS first_seen, max(o.last_seen) AS last_seen,
                min(o.source) AS source, '' AS flags
            FROM observations o JOIN image_tags t ON t.repository = o.repository AND t.tag = o.tag
            WHERE t.image_name = ANY(\(images)) GROUP BY t.image_name, o.repository, o.tag, o.digest ORDER BY o.tag, min(o.first_seen), min(o.id)
            """
            : """
            SELECT t.image_name, o.repository, o.tag, o.digest, o.first_seen, o.last_seen, o.source, o.flags
            FROM observations o JOIN image_tags t ON t.repository = o.repository AND t.tag = o.tag
            WHERE t.image_name = ANY(\(images)) ORDER BY o.tag, o.first_seen, o.id
            """
        return try await client.withConnection { connection in
            for row in try await rows(runs, on: connection) {
                result[try row.value("image_name"), default: EntryRecords()].runs.append(try Self.observation(row))
            }
            for row in try await rows(
                "SELECT image_name, digest, approved_by, approved_at, reason FROM approvals WHERE image_name = ANY(\(images))", on: connection)
            {
                result[try row.value("image_name"), default: EntryRecords()].approvals[try row.digest("digest")] = Approval(
                    by: try row.value("approved_by"), at: try row.time("approved_at"), reason: try row.value("reason"))
            }
            for row in try await rows(
                """
                SELECT t.image_name, s.repository, s.tag, s.last_attempt_at, s.last_success_at, s.last_error, s.last_error_at
                FROM tag_sync_state s JOIN image_tags t ON t.repository = s.repository AND t.tag = s.tag
                WHERE t.image_name = ANY(\(images)) ORDER BY s.tag
                """, on: connection)
            {
                result[try row.value("image_name"), default: EntryRecords()].syncStates.append(try Self.syncState(row))
            }
            for row in try await rows("SELECT image_name, tag, digest, held_by, held_at, reason FROM holds WHERE image_name = ANY(\(images))", on: connection) {
                result[try row.value("image_name"), default: EntryRecords()].holds[try row.value("tag")] = Hold(
                    digest: try row.digest("digest"), by: try row.value("held_by"), at: try row.time("held_at"), reason: try row.value("reason"))
            }
            return result
        }
    }

    public func entriesWithUnapprovedRuns() async throws -> [String] {
        try await rows(
            """
            SELECT DISTINCT t.image_name FROM observations o JOIN image_tags t ON t.repository = o.repository AND t.tag = o.tag
            WHERE NOT EXISTS (SELECT 1 FROM approvals a WHERE a.image_name = t.image_name AND a.digest = o.digest)
            ORDER BY t.image_name
            """
        ).map { try $0.value("image_name") }
    }

    public func recentRuns(limit: Int, offset: Int) async throws -> [TrackedRun] {
        try await rows(
            """
            SELECT o.id, t.image_name, o.repository, o.tag, o.digest, o.first_seen, o.last_seen, o.source, o.flags,
                (SELECT p.digest FROM observations p
                 WHERE p.repository = o.repository AND p.tag = o.tag AND (p.first_seen < o.first_seen OR (p.first_seen = o.first_seen AND p.id < o.id))
                 ORDER BY p.first_seen DESC, p.id DESC LIMIT 1) AS previous
            FROM observations o JOIN image_tags t ON t.repository = o.repository AND t.tag = o.tag
            ORDER BY o.first_seen DESC, o.id DESC LIMIT \(limit) OFFSET \(offset)
            """
        ).map { row in
            TrackedRun(
                sequence: try row.value("id"), image: try row.value("image_name"), run: try Self.observation(row),
                previous: try row.value("previous", as: String?.self).map(Digest.init(parsing:)))
        }
    }

    public func currentRun(repository: String, tag: String) async throws -> TagObservation? {
        try await row(
            """
            SELECT repository, tag, digest, first_seen, last_seen, source, flags FROM observations
            WHERE repository = \(repository) AND tag = \(tag) ORDER BY first_seen DESC, id DESC LIMIT 1
            """
        ).map(Self.observation)
    }

    static func syncState(_ row: PostgresRandomAccessRow) throws -> SyncState {
        SyncState(
            repository: try row.value("repository"), tag: try row.value("tag"), lastAttemptAt: try row.time("last_attempt_at"),
            lastSuccessAt: try row.optionalTime("last_success_at"), lastError: try row.value("last_error"), lastErrorAt: try row.optionalTime("last_error_at"))
    }

    public func syncStates(of image: String) async throws -> [SyncState] {
        try await rows(
            """
            SELECT s.repository, s.tag, s.last_attempt_at, s.last_success_at, s.last_error, s.last_error_at
            FROM tag_sync_state s JOIN image_tags t ON t.repository = s.repository AND t.tag = s.tag
            WHERE t.image_name = \(image) ORDER BY s.tag
            """
        ).map(Self.syncState)
    }

    // MARK: Approvals, revocations, holds

    public func approvals(of image: String) async throws -> [Digest: Approval] {
        var result: [Digest: Approval] = [:]
        for row in try await rows("SELECT digest, approved_by, approved_at, reason FROM approvals WHERE image_name = \(image)") {
            result[try row.digest("digest")] = Approval(by: try row.value("approved_by"), at: try row.time("approved_at"), reason: try row.value("reason"))
        }
        return result
    }

    public func revocations() async throws -> [Digest: Revocation] {
        var result: [Digest: Revocation] = [:]
        for row in try await rows("SELECT digest, revoked_by, revoked_at, reason FROM revocations") {
            result[try row.digest("digest")] = Revocation(by: try row.value("revoked_by"), at: try row.time("revoked_at"), reason: try row.value("reason"))
        }
        return result
    }

    public func holds(of image: String) async throws -> [String: Hold] {
        try await client.withConnection { try await holds(of: image, $0) }
    }

    func holds(of image: String, _ connection: PostgresConnection) async throws -> [String: Hold] {
        var result: [String: Hold] = [:]
        for row in try await rows("SELECT tag, digest, held_by, held_at, reason FROM holds WHERE image_name = \(image)", on: connection) {
            result[try row.value("tag")] = Hold(digest: try row.digest("digest"), by: try row.value("held_by"), at: try row.time("held_at"), reason: try row.value("reason"))
        }
        return result
    }

    // MARK: Contents

    public func packages(of manifest: Digest) async throws -> [InstalledPackage] {
        try await rows(
            """
            SELECT type, name, version, arch, source_name, source_version, source_rpm, module FROM packages
            WHERE manifest_digest = \(manifest.description) ORDER BY name, arch, version
            """
        ).map {
            InstalledPackage(
                type: try $0.value("type"), name: try $0.value("name"), version: try $0.value("version"), arch: try $0.value("arch"),
                sourceName: try $0.value("source_name"), sourceVersion: try $0.value("source_version"), sourceRPM: try $0.value("source_rpm"),
                module: try $0.value("module"))
        }
    }

    public func manifestContent(_ digest: Digest) async throws -> Data? {
        try await row("SELECT content FROM manifests WHERE digest = \(digest.description)")?.value("content", as: Data?.self)
    }

    public func osRelease(of manifest: Digest) async throws -> PackageDatabase.OSRelease? {
        try await row("SELECT os_id, version_id, pretty_name FROM manifest_os WHERE manifest_digest = \(manifest.description)").map {
            PackageDatabase.OSRelease(id: try $0.value("os_id"), versionID: try $0.value("version_id"), prettyName: try $0.value("pretty_name"))
        }
    }

    public func signatureCheck(of digest: Digest) async throws -> SignatureCheck? {
        try await row("SELECT * FROM signature_checks WHERE digest = \(digest.description)").map {
            SignatureCheck(
                verified: try $0.value("verified"), method: try $0.value("method"), signer: try $0.value("signer"), source: try $0.value("source"),
                found: Int(try $0.value("found", as: Int64.self)), reason: try $0.value("reason"), checkedAt: try $0.time("checked_at"))
        }
    }

    public func surface(of manifest: Digest) async throws -> SurfaceReport? {
        try await row("SELECT report FROM manifest_surface WHERE manifest_digest = \(manifest.description)").map {
            try SurfaceReport.parse(try $0.value("report", as: String.self))
        }
    }

    public func builtImages(on bases: [Digest]) async throws -> [BuiltImage] {
        guard !bases.isEmpty else { return [] }
        return try await rows(
            """
            SELECT * FROM built_images WHERE base_digest = ANY(\(bases.map(\.description))::text[])
            ORDER BY last_seen DESC, repository, manifest
            """
        ).map {
            BuiltImage(
                repository: try $0.value("repository"), manifest: try $0.digest("manifest"), base: try $0.digest("base_digest"),
                reference: try $0.value("reference"), source: BuiltImage.Source(rawValue: try $0.value("source")) ?? .check,
                firstSeen: try $0.time("first_seen"), lastSeen: try $0.time("last_seen"))
        }
    }

    public func manifests(withFirstLayer diffID: Digest) async throws -> [Digest: [Digest]] {
        var result: [Digest: [Digest]] = [:]
        for row in try await rows(
            """
            SELECT l.manifest_digest, l.diff_id FROM manifest_layers l
            WHERE l.manifest_digest IN (SELECT manifest_digest FROM manifest_layers WHERE position = 0 AND diff_id = \(diffID.description))
            ORDER BY l.manifest_digest, l.position
            """)
        {
            result[try row.digest("manifest_digest"), default: []].append(try row.digest("diff_id"))
        }
        return result
    }

    // MARK: Advisories

    public func affected(ecosystems: [String], packages: Set<String>) async throws -> [StoredAffected] {
        guard !ecosystems.isEmpty, !packages.isEmpty else { return [] }
        let sequence = try await client.query(
            """
            SELECT p.advisory_id, p.ecosystem, p.package, p.affected, a.severity, a.score, a.published, a.summary
            FROM advisory_packages p JOIN advisories a ON a.id = p.advisory_id
            WHERE a.withdrawn IS NULL AND p.ecosystem = ANY(\(ecosystems)) AND p.package = ANY(\(Array(packages)))
            """, logger: logger)
        var result: [StoredAffected] = []
        for try await (id, ecosystem, package, coded, severity, score, published, summary) in sequence.decode(
            (String, String, String, String, String, Double?, String?, String?).self)
        {
            let (affected, listed) = AffectedCoding.decode(coded)
            result.append(
                StoredAffected(
                    advisoryID: id, severity: AdvisorySeverity(rawValue: severity) ?? .unknown, score: score, published: published.flatMap(OSVRecord.date),
                    summary: summary, ecosystem: ecosystem, package: package, affected: affected, listedVersions: listed))
        }
        return result
    }

    public func advisoryCount() async throws -> Int {
        Int(try await row("SELECT count(*) AS n FROM advisories")?.value("n", as: Int64.self) ?? 0)
    }

    public func newestAdvisoryModified() async throws -> Date? {
        try await row("SELECT max(modified) AS m FROM advisories")?.value("m", as: String?.self).flatMap(OSVRecord.date)
    }

    public func auditEventCount(after id: Int64) async throws -> Int {
        Int(try await row("SELECT count(*) AS n FROM audit_events WHERE id > \(id)")?.value("n", as: Int64.self) ?? 0)
    }

    public func exceptions(of image: String) async throws -> [AdvisoryException] {
        try await rows("SELECT * FROM advisory_exceptions WHERE image_name = \(image) ORDER BY advisory_id").map {
            AdvisoryException(
                image: try $0.value("image_name"), advisoryID: try $0.value("advisory_id"), reason: try $0.value("reason"), by: try $0.value("created_by"),
                at: try $0.time("created_at"), expiresAt: try $0.time("expires_at"),
                justification: try $0.value("justification", as: String?.self).flatMap(VEXJustification.init(rawValue:)))
        }
    }

    public func healthBasis(of digest: Digest, image: String, revision: Int) async throws -> String? {
        try await row(
            "SELECT basis FROM digest_health WHERE digest = \(digest.description) AND image_name = \(image) AND entry_revision = \(revision)"
        )?.value("basis", as: String.self)
    }

    // MARK: Audit

    static func auditEvent(_ row: PostgresRandomAccessRow) throws -> AuditEvent {
        var event = AuditEvent(
            at: try row.time("at"), actor: try row.value("actor"), action: try row.value("action"), subject: try row.value("subject"),
            image: try row.value("image"), reason: try row.value("reason"), before: try row.value("before"), after: try row.value("after"),
            detail: try row.value("detail"))
        event.id = try row.value("id")
        event.recordedAt = try row.value("at")
        event.previousHash = try row.value("prev_hash")
        event.hash = try row.value("hash")
        return event
    }

    public func auditEvents(_ filter: AuditFilter, limit: Int) async throws -> [AuditEvent] {
        var conditions: [String] = []
        var binds = PostgresBindings()
        func add(_ condition: (String) -> String, _ value: (some PostgresDynamicTypeEncodable)?) {
            guard let value else { return }
            binds.append(value)
            conditions.append(condition("$\(binds.count)"))
        }
        add({ "actor = \($0)" }, filter.actor)
        add({ "subject = \($0)" }, filter.subject)
        add({ "action = \($0)" }, filter.action)
        add({ "at >= \($0)" }, filter.since.map(Timestamp.format))
        add({ "at < \($0)" }, filter.until.map(Timestamp.format))
        add({ "id < \($0)" }, filter.before)
        if let prefixes = filter.actionPrefixes {
            if prefixes.isEmpty {
                conditions.append("false")
            } else {
                var alternatives: [String] = []
                for prefix in prefixes {
                    binds.append(prefix)
                    alternatives.append("starts_with(action, $\(binds.count))")
                }
                conditions.append("(" + alternatives.joined(separator: " OR ") + ")")
            }
        }
        if let image = filter.image {
            binds.append(image)
            let n = "$\(binds.count)"
            conditions.append(
                """
                (image = \(n) OR subject IN (SELECT o.digest FROM observations o
                    JOIN image_tags t ON t.repository = o.repository AND t.tag = o.tag WHERE t.image_name = \(n))
                 OR subject IN (SELECT c.child_digest FROM index_children c JOIN observations o ON o.digest = c.index_digest
                    JOIN image_tags t ON t.repository = o.repository AND t.tag = o.tag WHERE t.image_name = \(n)))
                """)
        }
        let clause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        binds.append(limit)
        let sql = "SELECT * FROM audit_events \(clause) ORDER BY \(filter.byTime ? "at DESC, id DESC" : "id DESC") LIMIT $\(binds.count)"
        return try await rows(PostgresQuery(unsafeSQL: sql, binds: binds)).map(Self.auditEvent)
    }

    public func auditEvents(after id: Int64, limit: Int) async throws -> [AuditEvent] {
        try await rows("SELECT * FROM audit_events WHERE id > \(id) ORDER BY id LIMIT \(limit)").map(Self.auditEvent)
    }

    // MARK: Tokens and webhooks

    static func token(_ row: PostgresRandomAccessRow) throws -> TokenRecord {
        guard let role = Role(rawValue: try row.value("role")) else { throw StoreError.conflict("token with unknown role") }
        return TokenRecord(
            id: try row.value("id"), name: try row.value("name"), role: role, secretHash: try row.value("secret_hash"), createdBy: try row.value("created_by"),
            createdAt: try row.time("created_at"), expiresAt: try row.optionalTime("expires_at"), revokedAt: try row.optionalTime("revoked_at"))
    }

    public func token(id: String) async throws -> TokenRecord? {
        try await row("SELECT * FROM tokens WHERE id = \(id)").map(Self.token)
    }

    public func tokens() async throws -> [TokenRecord] {
        try await rows("SELECT * FROM tokens ORDER BY name").map(Self.token)
    }

    public func webhookCursor(_ webhook: String) async throws -> Int64? {
        try await row("SELECT last_event_id FROM webhook_cursors WHERE webhook = \(webhook)")?.value("last_event_id")
    }

    public func deliveries(of webhook: String) async throws -> [DeliveryAttempt] {
        try await rows("SELECT * FROM webhook_deliveries WHERE webhook = \(webhook) ORDER BY id").map {
            DeliveryAttempt(
                webhook: try $0.value("webhook"), eventID: try $0.value("event_id"), attempt: try $0.value("attempt"), at: try $0.time("at"),
                status: try $0.value("status"), error: try $0.value("error"))
        }
    }
}
