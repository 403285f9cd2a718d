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

    static func decision(_ kind: Curation.Kind) -> CurationRules.Decision {
        switch kind {
        case .approve(let image, let digest): .approve(image: image, digest: digest)
        case .revoke(let digest): .revoke(digest: digest)
        case .liftRevocation(let digest): .liftRevocation(digest: digest)
        case .except(let image, let advisory, _): .except(image: image, advisory: advisory)
        case .hold(let image, let tag, let digest): .hold(image: image, tag: tag, digest: digest)
        case .release(let image, let tag): .release(image: image, tag: tag)
        }
    }

    /// Judges a curator's decision by the catalog's rules (`CurationRules`) on the facts as
    /// they are inside this transaction, and writes it with its audit event; a decision that
    /// does not apply throws and writes nothing.
    static func apply(_ curation: Curation, _ db: Database) throws {
        let decision = decision(curation.kind)
        let facts = try facts(for: decision, db)
        do { try CurationRules.check(decision, reason: curation.reason, facts: facts) } catch {
            switch error {
            case .notFound(let what): throw StoreError.notFound(what)
            case .conflict(let message): throw StoreError.conflict(message)
            }
        }
        let at = Timestamp.format(curation.at)
        let reason = curation.reason ?? ""
        switch curation.kind {
        case .approve(let image, let digest):
            try db.execute(
                sql: "INSERT INTO approvals (image_name, digest, approved_by, approved_at, reason) VALUES (?, ?, ?, ?, ?)",
                arguments: [image, digest.description, curation.by, at, curation.reason])
            try append(
                AuditEvent(
                    at: curation.at, actor: curation.by, action: "digest.approve", subject: digest.description, image: image, reason: curation.reason,
                    after: JSONText.object(["image": image, "approved_by": curation.by, "approved_at": at])),
                db)

        case .revoke(let digest):
            try db.execute(
                sql: "INSERT INTO revocations (digest, revoked_by, revoked_at, reason) VALUES (?, ?, ?, ?)",
                arguments: [digest.description, curation.by, at, reason])
            try append(
                AuditEvent(
                    at: curation.at, actor: curation.by, action: "digest.revoke", subject: digest.description, reason: reason,
                    after: JSONText.object(["revoked_by": curation.by, "revoked_at": at])),
                db)

        case .liftRevocation(let digest):
            guard let before = facts.revocation else { throw StoreError.notFound("a revocation of \(digest)") }
            try db.execute(sql: "DELETE FROM revocations WHERE digest = ?", arguments: [digest.description])
            try append(
                AuditEvent(
                    at: curation.at, actor: curation.by, action: "digest.unrevoke", subject: digest.description, reason: reason,
                    before: JSONText.object(["revoked_by": before.by, "revoked_at": Timestamp.format(before.at), "reason": before.reason])),
                db)

        case .hold(let image, let tag, let digest):
            try db.execute(
                sql: """
                    INSERT INTO holds (image_name, tag, digest, held_by, held_at, reason) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT(image_name, tag) DO UPDATE SET digest = excluded.digest, held_by = excluded.held_by,
                        held_at = excluded.held_at, reason = excluded.reason
                    """,
                arguments: [image, tag, digest.description, curation.by, at, reason])
            try append(
                AuditEvent(
                    at: curation.at, actor: curation.by, action: "tag.hold", subject: "\(image):\(tag)", image: image, reason: reason,
                    before: facts.hold.map(holdJSON), after: holdJSON(Hold(digest: digest, by: curation.by, at: curation.at, reason: reason))),
                db)

        case .except(let image, let advisory, let expires):
            try except(image: image, advisory: advisory, expires: expires, curation, db)

        case .release(let image, let tag):
            guard let before = facts.hold else { throw StoreError.notFound("a hold on tag '\(tag)' of '\(image)'") }
            try db.execute(sql: "DELETE FROM holds WHERE image_name = ? AND tag = ?", arguments: [image, tag])
            try append(
                AuditEvent(
                    at: curation.at, actor: curation.by, action: "tag.release", subject: "\(image):\(tag)", image: image, reason: curation.reason,
                    before: holdJSON(before)),
                db)
        }
    }

    static func holdJSON(_ hold: Hold) -> String {
        JSONText.object(["digest": hold.digest.description, "held_by": hold.by, "held_at": Timestamp.format(hold.at), "reason": hold.reason])
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

    static func revokeToken(named name: String, at: Date, _ db: Database) throws {
        try db.execute(sql: "UPDATE tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL", arguments: [Timestamp.format(at), name])
        guard db.changesCount == 1 else { throw StoreError.notFound("an active token named '\(name)'") }
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
