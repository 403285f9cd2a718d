import Foundation
import GRDB
import PlinthCore

extension SQLiteStore {
    /// Checks a curator's decision against the catalog as it is inside this transaction, and
    /// writes it with its audit event; a decision that does not apply throws and writes nothing.
    static func apply(_ curation: Curation, _ db: Database) throws {
        let at = Timestamp.format(curation.at)
        switch curation.kind {
        case .approve(let image, let digest):
            try requireImage(image, db)
            guard try seen(digest, image: image, tag: nil, db) else {
                throw StoreError.notFound("digest \(digest) on a tag of image '\(image)'")
            }
            if try revocation(of: digest, db) != nil {
                throw StoreError.conflict("digest \(digest) is revoked; a revoked digest cannot be approved")
            }
            if let by = try String.fetchOne(db, sql: "SELECT approved_by FROM approvals WHERE image_name = ? AND digest = ?", arguments: [image, digest.description]) {
                throw StoreError.conflict("digest \(digest) is already approved for '\(image)' (by \(by))")
            }
            try db.execute(
                sql: "INSERT INTO approvals (image_name, digest, approved_by, approved_at, reason) VALUES (?, ?, ?, ?, ?)",
                arguments: [image, digest.description, curation.by, at, curation.reason])
            try append(
                AuditEvent(
                    at: curation.at, actor: curation.by, action: "digest.approve", subject: digest.description, image: image, reason: curation.reason,
                    after: JSONText.object(["image": image, "approved_by": curation.by, "approved_at": at])),
                db)

        case .revoke(let digest):
            let known = try Bool.fetchOne(
                db,
                sql: "SELECT EXISTS (SELECT 1 FROM manifests WHERE digest = ?) OR EXISTS (SELECT 1 FROM index_children WHERE child_digest = ?)",
                arguments: [digest.description, digest.description]) ?? false
            guard known else { throw StoreError.notFound("digest \(digest)") }
            if let existing = try revocation(of: digest, db) {
                throw StoreError.conflict("digest \(digest) is already revoked (by \(existing.by): \(existing.reason))")
            }
            guard let reason = curation.reason, !reason.isEmpty else { throw StoreError.conflict("a revocation needs a reason") }
            try db.execute(
                sql: "INSERT INTO revocations (digest, revoked_by, revoked_at, reason) VALUES (?, ?, ?, ?)",
                arguments: [digest.description, curation.by, at, reason])
            try append(
                AuditEvent(
                    at: curation.at, actor: curation.by, action: "digest.revoke", subject: digest.description, reason: reason,
                    after: JSONText.object(["revoked_by": curation.by, "revoked_at": at])),
                db)

        case .liftRevocation(let digest):
            guard let before = try revocation(of: digest, db) else { throw StoreError.notFound("a revocation of \(digest)") }
            guard let reason = curation.reason, !reason.isEmpty else { throw StoreError.conflict("lifting a revocation needs a reason") }
            try db.execute(sql: "DELETE FROM revocations WHERE digest = ?", arguments: [digest.description])
            try append(
                AuditEvent(
                    at: curation.at, actor: curation.by, action: "digest.unrevoke", subject: digest.description, reason: reason,
                    before: JSONText.object(["revoked_by": before.by, "revoked_at": Timestamp.format(before.at), "reason": before.reason])),
                db)

        case .hold(let image, let tag, let digest):
            try requireTag(image: image, tag: tag, db)
            guard try seen(digest, image: image, tag: tag, db) else {
                throw StoreError.notFound("digest \(digest) in the history of tag '\(tag)' of '\(image)'")
            }
            if try revocation(of: digest, db) != nil {
                throw StoreError.conflict("digest \(digest) is revoked; a tag cannot be held at it")
            }
            let approved = try Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM approvals WHERE image_name = ? AND digest = ?)", arguments: [image, digest.description]) ?? false
            guard approved else { throw StoreError.conflict("digest \(digest) is not approved for '\(image)'; only an approved digest can be held") }
            let before = try holds(of: image, db)[tag]
            if before?.digest == digest { throw StoreError.conflict("tag '\(tag)' of '\(image)' is already held at \(digest)") }
            guard let reason = curation.reason, !reason.isEmpty else { throw StoreError.conflict("a hold needs a reason") }
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
                    before: before.map(holdJSON), after: holdJSON(Hold(digest: digest, by: curation.by, at: curation.at, reason: reason))),
                db)

        case .except(let image, let advisory, let expires):
            try except(image: image, advisory: advisory, expires: expires, curation, db)

        case .release(let image, let tag):
            try requireTag(image: image, tag: tag, db)
            guard let before = try holds(of: image, db)[tag] else { throw StoreError.notFound("a hold on tag '\(tag)' of '\(image)'") }
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

    static func requireImage(_ image: String, _ db: Database) throws {
        guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM images WHERE name = ?)", arguments: [image]) == true else {
            throw StoreError.notFound("image '\(image)'")
        }
    }

    static func requireTag(image: String, tag: String, _ db: Database) throws {
        try requireImage(image, db)
        guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM image_tags WHERE image_name = ? AND tag = ?)", arguments: [image, tag]) == true
        else { throw StoreError.notFound("tag '\(tag)' tracked by image '\(image)'") }
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
