import Foundation
import PlinthCore
import PostgresNIO

extension PostgresStore {
    // MARK: Entries

    public func create(_ entry: CatalogEntry, event: AuditEvent) async throws {
        try await write { connection in
            try await insert(entry, connection)
            try await append(event, connection)
            return ((), [.everything])
        }
    }

    public func update(_ entry: CatalogEntry, revision: Int?, event: AuditEvent) async throws {
        try await write { connection in
            try await update(entry, revision: revision, connection)
            try await append(event, connection)
            return ((), [.everything])
        }
    }

    @discardableResult
    public func apply(_ plan: CatalogPlan) async throws -> ChangeOutcome {
        guard !plan.isEmpty else { return ChangeOutcome() }
        return try await write { connection in
            var outcome = ChangeOutcome()
            for entry in plan.created { try await insert(entry, connection) }
            for entry in plan.updated { try await update(entry, revision: nil, connection) }
            var scopes = Set<ChangeScope>()
            for write in plan.observations {
                let before = outcome
                try await record(write, connection, &outcome)
                if outcome != before { scopes.formUnion(try await self.scopes(of: write, connection)) }
            }
            for event in plan.events { try await append(event, connection) }
            if !plan.created.isEmpty || !plan.updated.isEmpty { return (outcome, [.everything]) }
            return (outcome, outcome == ChangeOutcome() && plan.events.isEmpty ? nil : scopes)
        }
    }

    @discardableResult
    public func recordSync(_ observation: ObservationWrite?, attempt: SyncAttempt) async throws -> ChangeOutcome {
        try await write { connection in
            var outcome = ChangeOutcome()
            var scopes: Set<ChangeScope>?
            if let observation {
                try await record(observation, connection, &outcome)
                if outcome != ChangeOutcome() { scopes = try await self.scopes(of: observation, connection) }
            }
            try await record(attempt, connection)
            return (outcome, scopes)
        }
    }

    public func record(_ events: [AuditEvent]) async throws {
        guard !events.isEmpty else { return }
        try await write { connection in
            for event in events { try await append(event, connection) }
            return ((), [])
        }
    }

    public func recordBuiltImage(_ image: BuiltImage) async throws {
        let seen = Timestamp.format(image.lastSeen)
        try await write { connection in
            _ = try await rows(
                """
                INSERT INTO built_images (repository, manifest, base_digest, reference, source, first_seen, last_seen)
                VALUES (\(image.repository), \(image.manifest.description), \(image.base.description), \(image.reference), \(image.source.rawValue),
                    \(seen), \(seen))
                ON CONFLICT (repository, manifest) DO UPDATE SET base_digest = excluded.base_digest, reference = excluded.reference,
                    source = excluded.source, last_seen = excluded.last_seen
                """, on: connection)
            return ((), [])
        }
    }

    public func keepHealthBases(_ bases: [HealthBasisRow], madeAt generation: UInt64) async throws {
        guard !bases.isEmpty else { return }
        try await write { connection in
            // Under the write lock: a change committed after `generation` is seen here, and one
            // after this commit drops the rows by its triggers.
            let version = try await row("SELECT version FROM store_version WHERE id = 1", on: connection)?.value("version", as: Int64.self)
            guard version.map(UInt64.init) == generation else { return ((), nil) }
            _ = try await rows(
                """
                INSERT INTO digest_health (digest, image_name, entry_revision, basis)
                SELECT * FROM unnest(\(bases.map(\.digest.description))::text[], \(bases.map(\.image))::text[],
                                     \(bases.map(\.revision))::integer[], \(bases.map(\.basis))::text[])
                ON CONFLICT (digest, image_name) DO UPDATE SET entry_revision = excluded.entry_revision, basis = excluded.basis
                """, on: connection)
            return ((), nil)
        }
    }

    public func recordSurface(_ report: SurfaceReport, of manifest: Digest) async throws {
        let json = try SurfaceReport.json(report)
        try await write { connection in
            _ = try await rows(
                """
                INSERT INTO manifest_surface (manifest_digest, report) VALUES (\(manifest.description), \(json))
                ON CONFLICT (manifest_digest) DO UPDATE SET report = excluded.report
                """, on: connection)
            return ((), [])
        }
    }

    func insert(_ entry: CatalogEntry, _ connection: PostgresConnection) async throws {
        let now = Timestamp.format(Date())
        let document = try SQLiteStore.document(entry)
        _ = try await rows(
            """
            INSERT INTO images (name, repository, status, document, created_at, updated_at)
            VALUES (\(entry.name), \(entry.repository), \(entry.status.rawValue), \(document), \(now), \(now))
            """, on: connection)
        try await writeTags(of: entry, connection)
    }

    func update(_ entry: CatalogEntry, revision expected: Int?, _ connection: PostgresConnection) async throws {
        let document = try SQLiteStore.document(entry)
        let updated = try await rows(
            """
            UPDATE images SET repository = \(entry.repository), status = \(entry.status.rawValue), document = \(document),
                updated_at = \(Timestamp.format(Date())), revision = revision + 1
            WHERE name = \(entry.name) AND (\(expected)::bigint IS NULL OR revision = \(expected))
            RETURNING 1 AS updated
            """, on: connection)
        guard updated.count == 1 else {
            if let current = try await row("SELECT revision FROM images WHERE name = \(entry.name)", on: connection) {
                throw StoreError.staleRevision(image: entry.name, current: try current["revision"].decode(Int.self))
            }
            throw StoreError.notFound("image '\(entry.name)'")
        }
        _ = try await rows("DELETE FROM image_tags WHERE image_name = \(entry.name)", on: connection)
        try await writeTags(of: entry, connection)
    }

    func writeTags(of entry: CatalogEntry, _ connection: PostgresConnection) async throws {
        for tag in entry.tags {
            _ = try await rows("INSERT INTO image_tags (image_name, repository, tag) VALUES (\(entry.name), \(entry.repository), \(tag))", on: connection)
        }
    }

    // MARK: Observations

    /// Records one observation, as `SQLiteStore.record` does: a run of the tag at that digest
    /// covering the time is already known; one that is the tag's latest run is extended;
    /// otherwise a new run starts.
    func record(_ write: ObservationWrite, _ connection: PostgresConnection, _ outcome: inout ChangeOutcome) async throws {
        let snapshot = write.snapshot
        let digest = snapshot.digest.description
        let seen = Timestamp.format(snapshot.seenAt)
        _ = try await rows(
            """
            INSERT INTO manifests (digest, media_type, content, first_seen) VALUES (\(digest), \(snapshot.mediaType.rawValue), NULL, \(seen))
            ON CONFLICT (digest) DO NOTHING
            """, on: connection)
        for document in write.documents {
            _ = try await rows(
                """
                INSERT INTO manifests (digest, media_type, content, first_seen)
                VALUES (\(document.digest.description), \(document.mediaType.rawValue), \(Data(document.bytes)), \(seen))
                ON CONFLICT (digest) DO UPDATE SET content = excluded.content WHERE manifests.content IS NULL
                """, on: connection)
        }
        for (position, child) in snapshot.children.enumerated() {
            _ = try await rows(
                """
                INSERT INTO index_children (index_digest, child_digest, media_type, platform, is_attestation, position)
                VALUES (\(digest), \(child.digest.description), \(child.mediaType.rawValue), \(child.platform.description), \(child.isAttestation), \(position))
                ON CONFLICT DO NOTHING
                """, on: connection)
        }
        for (manifest, layers) in write.diffIDs {
            for (position, diffID) in layers.enumerated() {
                _ = try await rows(
                    """
                    INSERT INTO manifest_layers (manifest_digest, position, diff_id) VALUES (\(manifest.description), \(position), \(diffID.description))
                    ON CONFLICT DO NOTHING
                    """, on: connection)
            }
        }
        if let check = write.signature {
            _ = try await rows(
                """
                INSERT INTO signature_checks (digest, verified, method, signer, source, found, reason, checked_at)
                VALUES (\(snapshot.digest.description), \(check.verified), \(check.method), \(check.signer), \(check.source), \(check.found),
                    \(check.reason), \(Timestamp.format(check.checkedAt)))
                ON CONFLICT (digest) DO UPDATE SET verified = excluded.verified, method = excluded.method, signer = excluded.signer,
                    source = excluded.source, found = excluded.found, reason = excluded.reason, checked_at = excluded.checked_at
                """, on: connection)
        }
        for (manifest, surface) in write.surfaces {
            _ = try await rows(
                """
                INSERT INTO manifest_surface (manifest_digest, report) VALUES (\(manifest.description), \(try SurfaceReport.json(surface)))
                ON CONFLICT (manifest_digest) DO UPDATE SET report = excluded.report
                """, on: connection)
        }
        for (manifest, os) in write.osReleases {
            _ = try await rows(
                """
                INSERT INTO manifest_os (manifest_digest, os_id, version_id, pretty_name)
                VALUES (\(manifest.description), \(os.id), \(os.versionID), \(os.prettyName))
                ON CONFLICT (manifest_digest) DO NOTHING
                """, on: connection)
        }
        for (manifest, packages) in snapshot.packages where !packages.isEmpty {
            // One statement a manifest (its packages as one JSON value, read back as rows by the
            // server): a seeded catalog's few thousand packages were a round trip each.
            _ = try await rows(
                """
                INSERT INTO packages (manifest_digest, type, name, version, arch, source_name, source_version, source_rpm, module)
                SELECT \(manifest.description), p.type, p.name, p.version, p.arch, p.source_name, p.source_version, p.source_rpm, p.module
                FROM json_to_recordset(\(try Self.packageRows(packages))::json)
                    AS p(type text, name text, version text, arch text, source_name text, source_version text, source_rpm text, module text)
                ON CONFLICT DO NOTHING
                """, on: connection)
        }
        let touched = write.healthInputs.map(\.description)
        if !touched.isEmpty {
            // The kept health bases (migration 0013) this write changes: of the manifests
            // written, and of every index that lists one.
            _ = try await rows(
                """
                DELETE FROM digest_health WHERE digest = ANY(\(touched)::text[])
                    OR digest IN (SELECT index_digest FROM index_children WHERE child_digest = ANY(\(touched)::text[]))
                """, on: connection)
        }
        let covered = try await rows(
            """
            SELECT 1 AS covered FROM observations
            WHERE repository = \(snapshot.repository) AND tag = \(snapshot.tag) AND digest = \(digest) AND first_seen <= \(seen) AND last_seen >= \(seen)
            LIMIT 1
            """, on: connection)
        if covered.isEmpty {
            let latest = try await row(
                """
                SELECT id, digest, last_seen FROM observations WHERE repository = \(snapshot.repository) AND tag = \(snapshot.tag)
                ORDER BY first_seen DESC, id DESC LIMIT 1
                """, on: connection)
            if let latest, try latest["digest"].decode(String.self) == digest, try latest["last_seen"].decode(String.self) < seen {
                _ = try await rows("UPDATE observations SET last_seen = \(seen) WHERE id = \(try latest["id"].decode(Int64.self))", on: connection)
                outcome.extendedObservations += 1
            } else {
                _ = try await rows(
                    """
                    INSERT INTO observations (repository, tag, digest, first_seen, last_seen, source, flags)
                    VALUES (\(snapshot.repository), \(snapshot.tag), \(digest), \(seen), \(seen), \(snapshot.source), \(write.flags.joined(separator: ",")))
                    """, on: connection)
                outcome.newObservations += 1
            }
        }
        if let image = write.approveFor, let approval = write.approval {
            let added = try await rows(
                """
                INSERT INTO approvals (image_name, digest, approved_by, approved_at, reason)
                VALUES (\(image), \(digest), \(approval.by), \(Timestamp.format(approval.at)), \(approval.reason))
                ON CONFLICT (image_name, digest) DO NOTHING RETURNING 1 AS added
                """, on: connection)
            if added.count == 1 {
                outcome.approvalsAdded += 1
                try await append(Curation.automaticApproval(digest, image: image, tag: snapshot.tag, approval), connection)
            }
        }
    }

    struct PackageRow: Encodable {
        var type, name, version: String
        var arch, source_name, source_version, source_rpm, module: String?
    }

    static func packageRows(_ packages: [InstalledPackage]) throws -> String {
        let rows = packages.map {
            PackageRow(
                type: $0.type, name: $0.name, version: $0.version, arch: $0.arch, source_name: $0.sourceName, source_version: $0.sourceVersion,
                source_rpm: $0.sourceRPM, module: $0.module)
        }
        return String(decoding: try JSONEncoder().encode(rows), as: UTF8.self)
    }

    func record(_ attempt: SyncAttempt, _ connection: PostgresConnection) async throws {
        let time = Timestamp.format(attempt.at)
        if let error = attempt.error {
            _ = try await rows(
                """
                INSERT INTO tag_sync_state (repository, tag, last_attempt_at, last_error, last_error_at)
                VALUES (\(attempt.repository), \(attempt.tag), \(time), \(error), \(time))
                ON CONFLICT (repository, tag) DO UPDATE SET last_attempt_at = excluded.last_attempt_at,
                    last_error = excluded.last_error, last_error_at = excluded.last_error_at
                """, on: connection)
        } else {
            _ = try await rows(
                """
                INSERT INTO tag_sync_state (repository, tag, last_attempt_at, last_success_at) VALUES (\(attempt.repository), \(attempt.tag), \(time), \(time))
                ON CONFLICT (repository, tag) DO UPDATE SET last_attempt_at = excluded.last_attempt_at,
                    last_success_at = excluded.last_success_at, last_error = NULL, last_error_at = NULL
                """, on: connection)
        }
    }

    // MARK: Scopes

    func scopes(of write: ObservationWrite, _ connection: PostgresConnection) async throws -> Set<ChangeScope> {
        let snapshot = write.snapshot
        var scopes = Set<ChangeScope>([.digest(snapshot.digest)] + snapshot.children.map { .digest($0.digest) })
        if let row = try await row(
            "SELECT image_name FROM image_tags WHERE repository = \(snapshot.repository) AND tag = \(snapshot.tag)", on: connection)
        {
            scopes.insert(.entry(try row["image_name"].decode(String.self)))
        }
        if let name = write.approveFor { scopes.insert(.entry(name)) }
        return scopes
    }

    func scopes(of decision: CurationRules.Decision, _ connection: PostgresConnection) async throws -> Set<ChangeScope> {
        switch decision {
        case .approve(let image, let digest):
            return [.entry(image), .digest(digest)]
        case .except(let image, _), .hold(let image, _, _), .release(let image, _):
            return [.entry(image)]
        case .revoke(let digest), .liftRevocation(let digest):
            let parents = try await parents(of: digest, connection).map(\.index)
            let children = try await children(of: digest, connection).map(\.digest)
            var scopes = Set(([digest] + parents + children).map(ChangeScope.digest))
            let seen = ([digest] + parents).map(\.description)
            for row in try await rows(
                """
                SELECT DISTINCT t.image_name FROM observations o JOIN image_tags t ON t.repository = o.repository AND t.tag = o.tag
                WHERE o.digest = ANY(\(seen))
                """, on: connection)
            {
                scopes.insert(.entry(try row["image_name"].decode(String.self)))
            }
            return scopes
        }
    }

    // MARK: Audit

    /// Appends an event to the chain: its id follows the last event's, and its hash covers it
    /// and the last event's hash. Writers hold the write lock, so the chain never forks
    /// across replicas.
    func append(_ event: AuditEvent, _ connection: PostgresConnection) async throws {
        var event = event
        event.recordedAt = Timestamp.format(event.at)
        let last = try await row("SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1", on: connection)
        let id = (try last?["id"].decode(Int64.self) ?? 0) + 1
        let previous = try last?["hash"].decode(String?.self) ?? AuditChain.genesis
        let hash = AuditChain.hash(of: event, id: id, previous: previous)
        _ = try await rows(
            """
            INSERT INTO audit_events (id, at, actor, action, subject, image, reason, before, after, detail, prev_hash, hash)
            VALUES (\(id), \(event.recordedAt), \(event.actor), \(event.action), \(event.subject), \(event.image), \(event.reason),
                    \(event.before), \(event.after), \(event.detail), \(previous), \(hash))
            """, on: connection)
    }

    // MARK: Curation

    public func approve(_ digest: Digest, for image: String, _ attribution: Attribution) async throws {
        try await curate(Curation(decision: .approve(image: image, digest: digest), attribution: attribution))
    }

    public func revoke(_ digest: Digest, _ attribution: Attribution) async throws {
        try await curate(Curation(decision: .revoke(digest: digest), attribution: attribution))
    }

    public func liftRevocation(of digest: Digest, _ attribution: Attribution) async throws {
        try await curate(Curation(decision: .liftRevocation(digest: digest), attribution: attribution))
    }

    public func except(_ advisory: String, for image: String, until expires: Date, justification: VEXJustification?, _ attribution: Attribution) async throws {
        try await curate(
            Curation(decision: .except(image: image, advisory: advisory), attribution: attribution, expires: expires, justification: justification))
    }

    public func hold(_ tag: String, of image: String, at digest: Digest, _ attribution: Attribution) async throws {
        try await curate(Curation(decision: .hold(image: image, tag: tag, digest: digest), attribution: attribution))
    }

    public func release(_ tag: String, of image: String, _ attribution: Attribution) async throws {
        try await curate(Curation(decision: .release(image: image, tag: tag), attribution: attribution))
    }

    /// Judges a curator's decision by the catalog's rules on the facts inside its transaction
    /// (no other writer runs meanwhile: the write lock), and writes it with its audit event.
    func curate(_ curation: Curation) async throws {
        try await write { connection in
            let facts = try await facts(for: curation.decision, connection)
            try curation.check(facts)
            let at = curation.at
            let by = curation.attribution.by
            var exceptionBefore: String?
            switch curation.decision {
            case .approve(let image, let digest):
                _ = try await rows(
                    """
                    INSERT INTO approvals (image_name, digest, approved_by, approved_at, reason)
                    VALUES (\(image), \(digest.description), \(by), \(at), \(curation.attribution.reason))
                    """, on: connection)
            case .revoke(let digest):
                _ = try await rows(
                    "INSERT INTO revocations (digest, revoked_by, revoked_at, reason) VALUES (\(digest.description), \(by), \(at), \(curation.reason))",
                    on: connection)
            case .liftRevocation(let digest):
                _ = try await rows("DELETE FROM revocations WHERE digest = \(digest.description)", on: connection)
            case .hold(let image, let tag, let digest):
                _ = try await rows(
                    """
                    INSERT INTO holds (image_name, tag, digest, held_by, held_at, reason) VALUES (\(image), \(tag), \(digest.description), \(by), \(at), \(curation.reason))
                    ON CONFLICT (image_name, tag) DO UPDATE SET digest = excluded.digest, held_by = excluded.held_by,
                        held_at = excluded.held_at, reason = excluded.reason
                    """, on: connection)
            case .release(let image, let tag):
                _ = try await rows("DELETE FROM holds WHERE image_name = \(image) AND tag = \(tag)", on: connection)
            case .except(let image, let advisory):
                if let before = try await row(
                    "SELECT reason, expires_at, justification FROM advisory_exceptions WHERE image_name = \(image) AND advisory_id = \(advisory)",
                    on: connection)
                {
                    exceptionBefore = JSONText.object([
                        "reason": try before["reason"].decode(String.self), "expires_at": try before["expires_at"].decode(String.self),
                        "justification": try before["justification"].decode(String?.self),
                    ])
                }
                _ = try await rows(
                    """
                    INSERT INTO advisory_exceptions (image_name, advisory_id, reason, created_by, created_at, expires_at, justification)
                    VALUES (\(image), \(advisory), \(curation.reason), \(by), \(at), \(curation.expires.map(Timestamp.format)),
                        \(curation.justification?.rawValue))
                    ON CONFLICT (image_name, advisory_id) DO UPDATE SET reason = excluded.reason, created_by = excluded.created_by,
                        created_at = excluded.created_at, expires_at = excluded.expires_at, justification = excluded.justification
                    """, on: connection)
            }
            try await append(curation.event(facts, exceptionBefore: exceptionBefore), connection)
            return ((), try await scopes(of: curation.decision, connection))
        }
    }

    /// What the catalog's rules need to judge a decision, read inside its transaction.
    func facts(for decision: CurationRules.Decision, _ connection: PostgresConnection) async throws -> CurationFacts {
        var facts = CurationFacts()
        func exists(_ query: PostgresQuery) async throws -> Bool { try await !rows(query, on: connection).isEmpty }
        func image(_ name: String) async throws {
            facts.imageExists = try await exists("SELECT 1 AS found FROM images WHERE name = \(name)")
        }
        func tag(_ name: String, of image: String) async throws {
            facts.tagTracked = try await exists("SELECT 1 AS found FROM image_tags WHERE image_name = \(image) AND tag = \(name)")
            facts.hold = try await holds(of: image, connection)[name]
        }
        func approval(_ digest: Digest, for image: String) async throws {
            facts.approvedBy = try await row(
                "SELECT approved_by FROM approvals WHERE image_name = \(image) AND digest = \(digest.description)", on: connection)?["approved_by"].decode(String.self)
        }
        func seen(_ digest: Digest, image: String, tag: String?) async throws -> Bool {
            try await exists(
                """
                SELECT 1 AS found FROM observations o JOIN image_tags t ON t.repository = o.repository AND t.tag = o.tag
                WHERE t.image_name = \(image) AND o.digest = \(digest.description) AND (\(tag)::text IS NULL OR t.tag = \(tag)) LIMIT 1
                """)
        }
        switch decision {
        case .approve(let name, let digest):
            try await image(name)
            facts.digestSeen = try await seen(digest, image: name, tag: nil)
            facts.revocation = try await revocation(of: digest, connection)
            try await approval(digest, for: name)
        case .revoke(let digest):
            let manifest = try await exists("SELECT 1 AS found FROM manifests WHERE digest = \(digest.description)")
            let child = try await exists("SELECT 1 AS found FROM index_children WHERE child_digest = \(digest.description) LIMIT 1")
            facts.digestKnown = manifest || child
            facts.revocation = try await revocation(of: digest, connection)
            facts.dependents = try await rows(
                """
                SELECT repository, manifest FROM built_images
                WHERE base_digest = \(digest.description)
                    OR base_digest IN (SELECT child_digest FROM index_children WHERE index_digest = \(digest.description))
                ORDER BY repository, manifest
                """, on: connection
            ).map { "\(try $0.value("repository", as: String.self))@\(try $0.value("manifest", as: String.self))" }
        case .liftRevocation(let digest):
            facts.revocation = try await revocation(of: digest, connection)
        case .hold(let name, let tagName, let digest):
            try await image(name)
            try await tag(tagName, of: name)
            facts.digestSeen = try await seen(digest, image: name, tag: tagName)
            facts.revocation = try await revocation(of: digest, connection)
            try await approval(digest, for: name)
        case .release(let name, let tagName):
            try await image(name)
            try await tag(tagName, of: name)
        case .except(let name, let advisory):
            try await image(name)
            facts.advisoryExists = try await exists("SELECT 1 AS found FROM advisories WHERE id = \(advisory)")
        }
        return facts
    }

    // MARK: Tokens

    public func createToken(_ token: TokenRecord, event: AuditEvent) async throws {
        try await write { connection in
            _ = try await rows(
                """
                INSERT INTO tokens (id, name, role, secret_hash, created_by, created_at, expires_at, revoked_at)
                VALUES (\(token.id), \(token.name), \(token.role.rawValue), \(token.secretHash), \(token.createdBy), \(Timestamp.format(token.createdAt)),
                        \(token.expiresAt.map(Timestamp.format)), NULL)
                """, on: connection)
            try await append(event, connection)
            return ((), [])
        }
    }

    public func revokeToken(named name: String, event: AuditEvent) async throws {
        try await write { connection in
            let revoked = try await rows(
                "UPDATE tokens SET revoked_at = \(Timestamp.format(event.at)) WHERE name = \(name) AND revoked_at IS NULL RETURNING 1 AS revoked",
                on: connection)
            guard revoked.count == 1 else { throw StoreError.notFound("an active token named '\(name)'") }
            try await append(event, connection)
            return ((), [])
        }
    }

    // MARK: Advisories

    public func importAdvisories(_ advisories: [AdvisoryWrite]) async throws -> AdvisoryImportOutcome {
        try await write { connection in
            var outcome = AdvisoryImportOutcome()
            for advisory in advisories {
                let record = advisory.record
                let modified = record.modifiedDate ?? .distantPast
                if let stored = try await row("SELECT modified FROM advisories WHERE id = \(record.id)", on: connection) {
                    guard let storedDate = OSVRecord.date(try stored["modified"].decode(String.self)), modified > storedDate else {
                        outcome.unchanged += 1
                        continue
                    }
                    _ = try await rows("DELETE FROM advisory_packages WHERE advisory_id = \(record.id)", on: connection)
                    _ = try await rows("DELETE FROM advisories WHERE id = \(record.id)", on: connection)
                    outcome.updated += 1
                } else {
                    outcome.added += 1
                }
                _ = try await rows(
                    """
                    INSERT INTO advisories (id, modified, published, withdrawn, summary, severity, score)
                    VALUES (\(record.id), \(record.modified), \(record.published), \(record.withdrawn), \(record.summary), \(advisory.severity.rawValue), \(advisory.score))
                    """, on: connection)
                _ = try await rows("INSERT INTO advisory_documents (id, document) VALUES (\(record.id), \(advisory.document))", on: connection)
                for affected in record.affected ?? [] {
                    guard let package = affected.package else { continue }
                    _ = try await rows(
                        """
                        INSERT INTO advisory_packages (advisory_id, ecosystem, package, affected)
                        VALUES (\(record.id), \(package.ecosystem), \(package.name), \(AffectedCoding.encode(affected)))
                        """, on: connection)
                }
            }
            return (outcome, outcome.added + outcome.updated > 0 ? [.everything] : nil)
        }
    }

    // MARK: Webhooks

    public func startWebhook(_ webhook: String) async throws -> Int64 {
        try await client.withTransaction(logger: logger) { connection in
            _ = try await rows(
                """
                INSERT INTO webhook_cursors (webhook, last_event_id) VALUES (\(webhook), (SELECT coalesce(max(id), 0) FROM audit_events))
                ON CONFLICT (webhook) DO NOTHING
                """, on: connection)
            return try await row("SELECT last_event_id FROM webhook_cursors WHERE webhook = \(webhook)", on: connection)?["last_event_id"].decode(Int64.self) ?? 0
        }
    }

    public func recordDelivery(_ attempt: DeliveryAttempt?, webhook: String, advanceTo eventID: Int64?) async throws {
        try await client.withTransaction(logger: logger) { connection in
            if let attempt {
                _ = try await rows(
                    """
                    INSERT INTO webhook_deliveries (webhook, event_id, attempt, at, status, error)
                    VALUES (\(attempt.webhook), \(attempt.eventID), \(attempt.attempt), \(Timestamp.format(attempt.at)), \(attempt.status), \(attempt.error))
                    """, on: connection)
            }
            if let eventID {
                _ = try await rows(
                    """
                    INSERT INTO webhook_cursors (webhook, last_event_id) VALUES (\(webhook), \(eventID))
                    ON CONFLICT (webhook) DO UPDATE SET last_event_id = greatest(webhook_cursors.last_event_id, excluded.last_event_id)
                    """, on: connection)
            }
        }
    }

    // MARK: Jobs

    /// Advisory lock namespace of jobs (`plnt`); the job's name is hashed by the server.
    static let jobLocks: Int32 = 0x706c_6e74

    public func exclusively<T: Sendable>(_ name: String, _ body: @Sendable () async throws -> T) async throws -> T? {
        try await client.withConnection { connection -> T? in
            let got = try await row("SELECT pg_try_advisory_lock(\(Self.jobLocks), hashtext(\(name))) AS got", on: connection)?.value("got", as: Bool.self)
            guard got == true else { return nil }
            do {
                let result = try await body()
                _ = try await rows("SELECT pg_advisory_unlock(\(Self.jobLocks), hashtext(\(name)))", on: connection)
                return result
            } catch {
                _ = try? await rows("SELECT pg_advisory_unlock(\(Self.jobLocks), hashtext(\(name)))", on: connection)
                throw error
            }
        }
    }

    public func claimRun(of job: String, every interval: Duration, now: Date) async throws -> JobRun? {
        try await client.withTransaction(logger: logger) { connection -> JobRun? in
            if let row = try await row("SELECT started_at, finished_at FROM jobs WHERE name = \(job) FOR UPDATE", on: connection) {
                let run = try JobRun(job: job, recordedStart: try row.value("started_at"), resumed: true)
                if try row.value("finished_at", as: String?.self) == nil { return run }
                guard JobRun.due(started: run.startedAt, now: now, every: interval) else { return nil }
            }
            let at = Timestamp.format(now)
            _ = try await rows(
                """
                INSERT INTO jobs (name, started_at, finished_at) VALUES (\(job), \(at), NULL)
                ON CONFLICT (name) DO UPDATE SET started_at = excluded.started_at, finished_at = NULL
                """, on: connection)
            return try JobRun(job: job, recordedStart: at, resumed: false)
        }
    }

    public func finishRun(_ run: JobRun, at: Date) async throws {
        _ = try await rows(
            "UPDATE jobs SET finished_at = \(Timestamp.format(at)) WHERE name = \(run.job) AND started_at = \(run.recordedStart)")
    }
}
