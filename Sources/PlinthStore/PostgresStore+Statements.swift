import PostgresNIO

/// The statements of the lookup path, prepared once per connection by postgres-nio (named
/// statements, parsed and planned once, then executed with their values bound): a digest
/// lookup that misses the cache runs these, thousands of times a day.
protocol PreparedRead: PostgresPreparedStatement where Row == PostgresRandomAccessRow {
    var binds: PostgresBindings { get }
}

extension PreparedRead {
    func makeBindings() throws -> PostgresBindings { binds }
    func decodeRow(_ row: PostgresRow) throws -> PostgresRandomAccessRow { row.makeRandomAccess() }

    static func binding<Value: PostgresDynamicTypeEncodable>(_ value: Value) -> PostgresBindings {
        var binds = PostgresBindings()
        binds.append(value)
        return binds
    }
}

enum Prepared {
    struct StoreVersion: PreparedRead {
        static let sql = "SELECT version FROM store_version WHERE id = 1"
        let binds = PostgresBindings()
    }

    struct ManifestType: PreparedRead {
        static let sql = "SELECT media_type FROM manifests WHERE digest = $1"
        let binds: PostgresBindings
        init(_ digest: String) { binds = Self.binding(digest) }
    }

    /// Every (entry, tag) whose tag pointed at the digest.
    struct TagsThatSaw: PreparedRead {
        static let sql = """
            SELECT DISTINCT t.image_name, t.repository, t.tag, i.document
            FROM observations o
            JOIN image_tags t ON t.repository = o.repository AND t.tag = o.tag
            JOIN images i ON i.name = t.image_name
            WHERE o.digest = $1
            ORDER BY t.image_name, t.tag
            """
        let binds: PostgresBindings
        init(_ digest: String) { binds = Self.binding(digest) }
    }

    /// Every digest those tags pointed at, with the entry's approval of it.
    struct Lineages: PreparedRead {
        static let sql = """
            SELECT t.image_name, o.tag, o.digest, min(o.first_seen) AS first_seen, max(o.last_seen) AS last_seen,
                   min(a.approved_by) AS approved_by, min(a.approved_at) AS approved_at, min(a.reason) AS reason
            FROM observations o
            JOIN image_tags t ON t.repository = o.repository AND t.tag = o.tag
            LEFT JOIN approvals a ON a.image_name = t.image_name AND a.digest = o.digest
            WHERE (t.repository, t.tag) IN (SELECT DISTINCT s.repository, s.tag FROM observations s WHERE s.digest = $1)
            GROUP BY t.image_name, o.tag, o.digest
            ORDER BY t.image_name, o.tag, min(o.first_seen)
            """
        let binds: PostgresBindings
        init(_ digest: String) { binds = Self.binding(digest) }
    }

    struct Holds: PreparedRead {
        static let sql = "SELECT image_name, tag, digest, held_by, held_at, reason FROM holds WHERE image_name = ANY($1)"
        let binds: PostgresBindings
        init(_ images: [String]) { binds = Self.binding(images) }
    }

    struct Revocations: PreparedRead {
        static let sql = "SELECT digest, revoked_by, revoked_at, reason FROM revocations WHERE digest = ANY($1)"
        let binds: PostgresBindings
        init(_ digests: [String]) { binds = Self.binding(digests) }
    }

    struct Span: PreparedRead {
        static let sql = "SELECT min(first_seen) AS first, max(last_seen) AS last FROM observations WHERE digest = $1"
        let binds: PostgresBindings
        init(_ digest: String) { binds = Self.binding(digest) }
    }

    struct Children: PreparedRead {
        static let sql = "SELECT child_digest, media_type, platform FROM index_children WHERE index_digest = $1 ORDER BY position"
        let binds: PostgresBindings
        init(_ digest: String) { binds = Self.binding(digest) }
    }

    struct Parents: PreparedRead {
        static let sql = "SELECT index_digest, media_type, platform FROM index_children WHERE child_digest = $1 ORDER BY index_digest"
        let binds: PostgresBindings
        init(_ digest: String) { binds = Self.binding(digest) }
    }
}

extension PostgresStore {
    /// The rows of a prepared statement, on `connection` or a connection of the pool.
    func rows(_ statement: some PreparedRead, on connection: PostgresConnection? = nil) async throws -> [PostgresRandomAccessRow] {
        var rows: [PostgresRandomAccessRow] = []
        if let connection {
            for try await row in try await connection.execute(statement, logger: logger) { rows.append(row) }
        } else {
            for try await row in try await client.execute(statement, logger: logger) { rows.append(row) }
        }
        return rows
    }
}
