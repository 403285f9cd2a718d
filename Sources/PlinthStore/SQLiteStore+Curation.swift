import Foundation
import GRDB
import PlinthCore

extension SQLiteStore {
    /// Reads what the catalog's rules need to judge a curator's decision, inside this transaction.
    static func facts(for decision: CurationRules.Decision, _ db: Database) throws -> CurationFacts {
        var facts = CurationFacts()
        func image(_ name: String) throws {
            facts.imageExists = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM images WHERE name = ?)", arguments: [name]) ?? false
        }
        func tag(_ name: String, of image: String) throws {
            facts.tagTracked =
                try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM image_tags WHERE image_name = ? AND tag = ?)", arguments: [image, name]) ?? false
            facts.hold = try holds(of: image, db)[name]
        }
        func approval(_ digest: Digest, for image: String) throws {
            facts.approvedBy = try String.fetchOne(
                db, sql: "SELECT approved_by FROM approvals WHERE image_name = ? AND digest = ?", arguments: [image, digest.description])
        }
        switch decision {
        case .approve(let name, let digest):
            try image(name)
            facts.digestSeen = try seen(digest, image: name, tag: nil, db)
            facts.revocation = try revocation(of: digest, db)
            try approval(digest, for: name)
        case .revoke(let digest):
            facts.digestKnown = try Bool.fetchOne(
                db,
                sql: "SELECT EXISTS (SELECT 1 FROM manifests WHERE digest = ?) OR EXISTS (SELECT 1 FROM index_children WHERE child_digest = ?)",
                arguments: [digest.description, digest.description]) ?? false
            facts.revocation = try revocation(of: digest, db)
            facts.dependents = try Row.fetchAll(
                db,
                sql: """
                    SELECT repository, manifest FROM built_images
                    WHERE base_digest = ? OR base_digest IN (SELECT child_digest FROM index_children WHERE index_digest = ?)
                    ORDER BY repository, manifest
                    """,
                arguments: [digest.description, digest.description]
            ).map { "\($0["repository"] as String)@\($0["manifest"] as String)" }
        case .liftRevocation(let digest):
            facts.revocation = try revocation(of: digest, db)
        case .hold(let name, let tagName, let digest):
            try image(name)
            try tag(tagName, of: name)
            facts.digestSeen = try seen(digest, image: name, tag: tagName, db)
            facts.revocation = try revocation(of: digest, db)
            try approval(digest, for: name)
        case .release(let name, let tagName):
            try image(name)
            try tag(tagName, of: name)
        case .except(let name, let advisory):
            try image(name)
            facts.advisoryExists = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM advisories WHERE id = ?)", arguments: [advisory]) ?? false
        }
        return facts
    }

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

    /// Judges a curator's decision by the catalog's rules (`CurationRules`) on the facts as
    /// they are inside its transaction, and writes it with its audit event; a decision that
    /// does not apply throws and writes nothing.
    func curate(_ curation: Curation) async throws {
        try await write { db in
            let facts = try Self.facts(for: curation.decision, db)
            try curation.check(facts)
            let at = curation.at
            var exceptionBefore: String?
            switch curation.decision {
            case .approve(let image, let digest):
                try db.execute(
                    sql: "INSERT INTO approvals (image_name, digest, approved_by, approved_at, reason) VALUES (?, ?, ?, ?, ?)",
                    arguments: [image, digest.description, curation.attribution.by, at, curation.attribution.reason])
            case .revoke(let digest):
                try db.execute(
                    sql: "INSERT INTO revocations (digest, revoked_by, revoked_at, reason) VALUES (?, ?, ?, ?)",
                    arguments: [digest.description, curation.attribution.by, at, curation.reason])
            case .liftRevocation(let digest):
                try db.execute(sql: "DELETE FROM revocations WHERE digest = ?", arguments: [digest.description])
            case .hold(let image, let tag, let digest):
                try db.execute(
                    sql: """
                        INSERT INTO holds (image_name, tag, digest, held_by, held_at, reason) VALUES (?, ?, ?, ?, ?, ?)
                        ON CONFLICT(image_name, tag) DO UPDATE SET digest = excluded.digest, held_by = excluded.held_by,
                            held_at = excluded.held_at, reason = excluded.reason
                        """,
                    arguments: [image, tag, digest.description, curation.attribution.by, at, curation.reason])
            case .release(let image, let tag):
                try db.execute(sql: "DELETE FROM holds WHERE image_name = ? AND tag = ?", arguments: [image, tag])
            case .except(let image, let advisory):
                exceptionBefore = try Row.fetchOne(
                    db, sql: "SELECT reason, expires_at, justification FROM advisory_exceptions WHERE image_name = ? AND advisory_id = ?", arguments: [image, advisory]
                ).map { JSONText.object(["reason": $0["reason"], "expires_at": $0["expires_at"], "justification": $0["justification"]]) }
                try db.execute(
                    sql: """
                        INSERT INTO advisory_exceptions (image_name, advisory_id, reason, created_by, created_at, expires_at, justification)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT(image_name, advisory_id) DO UPDATE SET reason = excluded.reason, created_by = excluded.created_by,
                            created_at = excluded.created_at, expires_at = excluded.expires_at, justification = excluded.justification
                        """,
                    arguments: [
                        image, advisory, curation.reason, curation.attribution.by, at, curation.expires.map(Timestamp.format), curation.justification?.rawValue,
                    ])
            }
            try Self.append(curation.event(facts, exceptionBefore: exceptionBefore), db)
            return ((), try Self.scopes(of: curation.decision, db))
        }
    }

    /// Whether a tag of the entry (or the one tag named) ever pointed at the digest.
    static func seen(_ digest: Digest, image: String, tag: String?, _ db: Database) throws -> Bool {
        try Bool.fetchOne(
            db,
            sql: """
                SELECT EXISTS (SELECT 1 FROM observations o JOIN image_tags t ON t.repository = o.repository AND t.tag = o.tag
                               WHERE t.image_name = ? AND o.digest = ? AND (? IS NULL OR t.tag = ?))
                """,
            arguments: [image, digest.description, tag, tag]) ?? false
    }

    static func holds(of image: String, _ db: Database) throws -> [String: Hold] {
        var result: [String: Hold] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT tag, digest, held_by, held_at, reason FROM holds WHERE image_name = ?", arguments: [image]) {
            result[row["tag"]] = Hold(digest: try Digest(parsing: row["digest"]), by: row["held_by"], at: try Timestamp.parse(row["held_at"]), reason: row["reason"])
        }
        return result
    }

    public func holds(of image: String) async throws -> [String: Hold] {
        try await pool.read { db in try Self.holds(of: image, db) }
    }

    // MARK: Tokens

    static func insert(_ token: TokenRecord, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO tokens (id, name, role, secret_hash, created_by, created_at, expires_at, revoked_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, NULL)
                """,
            arguments: [
                token.id, token.name, token.role.rawValue, token.secretHash, token.createdBy, Timestamp.format(token.createdAt),
                token.expiresAt.map(Timestamp.format),
            ])
    }

    public func createToken(_ token: TokenRecord, event: AuditEvent) async throws {
        try await write { db in
            try Self.insert(token, db)
            try Self.append(event, db)
            return ((), [])
        }
    }

    public func revokeToken(named name: String, event: AuditEvent) async throws {
        try await write { db in
            try db.execute(
                sql: "UPDATE tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL", arguments: [Timestamp.format(event.at), name])
            guard db.changesCount == 1 else { throw StoreError.notFound("an active token named '\(name)'") }
            try Self.append(event, db)
            return ((), [])
        }
    }

    static func token(_ row: Row) throws -> TokenRecord {
        guard let role = Role(rawValue: row["role"]) else { throw StoreError.conflict("token with unknown role") }
        return TokenRecord(
            id: row["id"], name: row["name"], role: role, secretHash: row["secret_hash"], createdBy: row["created_by"],
            createdAt: try Timestamp.parse(row["created_at"]), expiresAt: try (row["expires_at"] as String?).map(Timestamp.parse),
            revokedAt: try (row["revoked_at"] as String?).map(Timestamp.parse))
    }

    public func token(id: String) async throws -> TokenRecord? {
        try await pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM tokens WHERE id = ?", arguments: [id]).map(Self.token) }
    }

    public func tokens() async throws -> [TokenRecord] {
        try await pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM tokens ORDER BY name").map(Self.token) }
    }
}
