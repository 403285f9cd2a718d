import Foundation
import GRDB
import PlinthCore

extension SQLiteStore {
    public func importAdvisories(_ advisories: [AdvisoryWrite]) async throws -> AdvisoryImportOutcome {
        try await write { db in
            var outcome = AdvisoryImportOutcome()
            for advisory in advisories {
                let record = advisory.record
                let modified = record.modifiedDate ?? .distantPast
                if let stored = try String.fetchOne(db, sql: "SELECT modified FROM advisories WHERE id = ?", arguments: [record.id]) {
                    guard let storedDate = OSVRecord.date(stored), modified > storedDate else {
                        outcome.unchanged += 1
                        continue
                    }
                    try db.execute(sql: "DELETE FROM advisory_packages WHERE advisory_id = ?", arguments: [record.id])
                    try db.execute(sql: "DELETE FROM advisories WHERE id = ?", arguments: [record.id])
                    outcome.updated += 1
                } else {
                    outcome.added += 1
                }
                try db.execute(
                    sql: "INSERT INTO advisories (id, modified, published, withdrawn, summary, severity, score) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    arguments: [record.id, record.modified, record.published, record.withdrawn, record.summary, advisory.severity.rawValue, advisory.score])
                try db.execute(sql: "INSERT INTO advisory_documents (id, document) VALUES (?, ?)", arguments: [record.id, advisory.document])
                for affected in record.affected ?? [] {
                    guard let package = affected.package else { continue }
                    try db.execute(
                        sql: "INSERT INTO advisory_packages (advisory_id, ecosystem, package, affected) VALUES (?, ?, ?, ?)",
                        arguments: [record.id, package.ecosystem, package.name, AffectedCoding.encode(affected)])
                }
            }
            return (outcome, outcome.added + outcome.updated > 0 ? [.everything] : nil)
        }
    }

    public func affected(ecosystems: [String], packages: Set<String>) async throws -> [StoredAffected] {
        guard !ecosystems.isEmpty, !packages.isEmpty else { return [] }
        return try await pool.read { db in
            // Parameterised IN lists, in chunks under SQLite's variable limit.
            var result: [StoredAffected] = []
            let names = Array(packages)
            for start in stride(from: 0, to: names.count, by: 500) {
                let chunk = Array(names[start..<min(start + 500, names.count)])
                let sql = """
                    SELECT p.advisory_id, p.ecosystem, p.package, p.affected, a.severity, a.score, a.published, a.summary
                    FROM advisory_packages p JOIN advisories a ON a.id = p.advisory_id
                    WHERE a.withdrawn IS NULL
                      AND p.ecosystem IN (\(databaseQuestionMarks(count: ecosystems.count)))
                      AND p.package IN (\(databaseQuestionMarks(count: chunk.count)))
                    """
                let arguments = StatementArguments(ecosystems + chunk)
                let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
                // Columns by position, in the SELECT's order: 100,000 rows made lookups by name show.
                while let row = try rows.next() {
                    let (affected, listed) = AffectedCoding.decode(row[3])
                    result.append(
                        StoredAffected(
                            advisoryID: row[0], severity: AdvisorySeverity(rawValue: row[4]) ?? .unknown, score: row[5],
                            published: (row[6] as String?).flatMap(OSVRecord.date), summary: row[7], ecosystem: row[1], package: row[2],
                            affected: affected, listedVersions: listed))
                }
            }
            return result
        }
    }

    public func osRelease(of manifest: Digest) async throws -> PackageDatabase.OSRelease? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT os_id, version_id, pretty_name FROM manifest_os WHERE manifest_digest = ?", arguments: [manifest.description])
                .map { PackageDatabase.OSRelease(id: $0["os_id"], versionID: $0["version_id"], prettyName: $0["pretty_name"]) }
        }
    }

    public func signatureCheck(of digest: Digest) async throws -> SignatureCheck? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM signature_checks WHERE digest = ?", arguments: [digest.description]).map {
                SignatureCheck(
                    verified: $0["verified"], method: $0["method"], signer: $0["signer"], source: $0["source"], found: $0["found"], reason: $0["reason"],
                    checkedAt: try Timestamp.parse($0["checked_at"]))
            }
        }
    }

    public func surface(of manifest: Digest) async throws -> SurfaceReport? {
        try await pool.read { db in
            try String.fetchOne(db, sql: "SELECT report FROM manifest_surface WHERE manifest_digest = ?", arguments: [manifest.description])
                .map { try SurfaceReport.parse($0) }
        }
    }

    public func builtImages(on bases: [Digest]) async throws -> [BuiltImage] {
        guard !bases.isEmpty else { return [] }
        return try await pool.read { db in
            let marks = Array(repeating: "?", count: bases.count).joined(separator: ", ")
            return try Row.fetchAll(
                db, sql: "SELECT * FROM built_images WHERE base_digest IN (\(marks)) ORDER BY last_seen DESC, repository, manifest",
                arguments: StatementArguments(bases.map(\.description))
            ).map {
                BuiltImage(
                    repository: $0["repository"], manifest: try Digest(parsing: $0["manifest"]), base: try Digest(parsing: $0["base_digest"]),
                    reference: $0["reference"], source: BuiltImage.Source(rawValue: $0["source"]) ?? .check,
                    firstSeen: try Timestamp.parse($0["first_seen"]), lastSeen: try Timestamp.parse($0["last_seen"]))
            }
        }
    }

    public func manifests(withFirstLayer diffID: Digest) async throws -> [Digest: [Digest]] {
        try await pool.read { db in
            var result: [Digest: [Digest]] = [:]
            let sql = """
                SELECT l.manifest_digest, l.diff_id FROM manifest_layers l
                WHERE l.manifest_digest IN (SELECT manifest_digest FROM manifest_layers WHERE position = 0 AND diff_id = ?)
                ORDER BY l.manifest_digest, l.position
                """
            for row in try Row.fetchAll(db, sql: sql, arguments: [diffID.description]) {
                result[try Digest(parsing: row["manifest_digest"]), default: []].append(try Digest(parsing: row["diff_id"]))
            }
            return result
        }
    }

    public func advisoryCount() async throws -> Int {
        try await pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM advisories") ?? 0 }
    }

    public func newestAdvisoryModified() async throws -> Date? {
        try await pool.read { db in try String.fetchOne(db, sql: "SELECT max(modified) FROM advisories") }.flatMap(OSVRecord.date)
    }

    public func auditEventCount(after id: Int64) async throws -> Int {
        try await pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM audit_events WHERE id > ?", arguments: [id]) ?? 0 }
    }

    public func exceptions(of image: String) async throws -> [AdvisoryException] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM advisory_exceptions WHERE image_name = ? ORDER BY advisory_id", arguments: [image]).map {
                AdvisoryException(
                    image: $0["image_name"], advisoryID: $0["advisory_id"], reason: $0["reason"], by: $0["created_by"],
                    at: try Timestamp.parse($0["created_at"]), expiresAt: try Timestamp.parse($0["expires_at"]),
                    justification: ($0["justification"] as String?).flatMap(VEXJustification.init(rawValue:)))
            }
        }
    }

    public func healthBasis(of digest: Digest, image: String, revision: Int) async throws -> String? {
        try await pool.read { db in
            try String.fetchOne(
                db, sql: "SELECT basis FROM digest_health WHERE digest = ? AND image_name = ? AND entry_revision = ?",
                arguments: [digest.description, image, revision])
        }
    }

    public func keepHealthBases(_ bases: [HealthBasisRow], madeAt generation: UInt64) async throws {
        guard !bases.isEmpty else { return }
        try await write { db in
            // Writers are serialised: a change committed after `generation` is seen here, and one
            // after this commit drops the rows by its triggers.
            guard try UInt64.fetchOne(db, sql: "SELECT version FROM store_version WHERE id = 1") == generation else { return ((), nil) }
            let statement = try db.cachedStatement(
                sql: """
                    INSERT INTO digest_health (digest, image_name, entry_revision, basis) VALUES (?, ?, ?, ?)
                    ON CONFLICT (digest, image_name) DO UPDATE SET entry_revision = excluded.entry_revision, basis = excluded.basis
                    """)
            for row in bases { try statement.execute(arguments: [row.digest.description, row.image, row.revision, row.basis]) }
            return ((), nil)
        }
    }
}
