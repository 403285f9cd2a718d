import Foundation
import Logging
import NIOSSL
import PlinthCore
import PostgresNIO
import Synchronization

/// The catalog on PostgreSQL, through postgres-nio's `PostgresClient` (a connection pool;
/// every query is sent with its values bound, never spliced into the text; the lookup path's
/// statements are prepared once per connection, `Prepared`). Several Plinth
/// replicas share one database:
/// - every write transaction first takes one transaction-scoped advisory lock, so writers on
///   every replica run one at a time as on SQLite: the catalog's rules are judged on facts no
///   other writer can change before the commit, and the audit chain never forks;
/// - each commit is announced on the `plinth_changes` channel (`NOTIFY`, delivered at commit),
///   which every replica listens to: its caches learn of the change at once;
/// - periodic jobs run under a session advisory lock (`withExclusiveJob`), one replica at a time.
final class PostgresStore: CatalogStore {
    let client: PostgresClient
    let logger: Logger
    private let running: Task<Void, Never>
    private let listening = Mutex<Task<Void, Never>?>(nil)
    let version = StoreVersion(checkInterval: .seconds(1), readsInBackground: true)
    /// The description of where it is, without a password.
    let location: String

    /// Advisory lock keys (one namespace, `plinth` in ASCII, then a number).
    static let writeLock: Int64 = 0x706c_696e_7468_0001
    static let migrationLock: Int64 = 0x706c_696e_7468_0002
    static let channel = "plinth_changes"

    /// Connects to the server `url` names (`postgres://user[:password]@host[:port]/database`,
    /// `?sslmode=disable|prefer|require|verify-ca|verify-full`, `sslrootcert=FILE`) and applies
    /// any migration of `migrations/postgres/` not yet applied.
    init(url: URL, logger: Logger) async throws {
        let configuration = try Self.configuration(url)
        self.logger = logger
        self.location = StoreLocation.postgres(url).description
        // The pool's own messages at error level: a lost connection surfaces as the failure
        // of the query that needed it, with its reason.
        var background = logger
        background.logLevel = max(logger.logLevel, .error)
        let client = PostgresClient(configuration: configuration, backgroundLogger: background)
        self.client = client
        running = Task { await client.run() }
        do {
            // One connection first, on its own: a refused login or certificate is reported at
            // once and by name (the pool would keep retrying it in the background).
            let probe = try await PostgresConnection.connect(configuration: try Self.probeConfiguration(url, configuration), id: 0, logger: background)
            try await probe.close()
            try await migrate()
        } catch {
            running.cancel()
            throw Stores.Unavailable(description: "\(location): \(Self.describe(error))")
        }
        startListening()
    }

    deinit {
        listening.withLock { $0?.cancel() }
        running.cancel()
    }

    enum TLSMode { case disable, prefer, require }

    /// What `sslmode` and `sslrootcert` ask for, as libpq reads them.
    static func tls(_ url: URL) throws -> (TLSMode, TLSConfiguration) {
        let components = URLComponents(url: url, resolvingAgainstBaseURL: false)
        let query = Dictionary((components?.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { _, last in last })
        var settings = TLSConfiguration.makeClientConfiguration()
        if let root = query["sslrootcert"] { settings.trustRoots = .file(root) }
        switch query["sslmode"] ?? "prefer" {
        case "disable":
            return (.disable, settings)
        case "allow", "prefer":
            // As libpq: encrypt when the server offers it, without checking its certificate.
            settings.certificateVerification = .none
            return (.prefer, settings)
        case "require":
            settings.certificateVerification = query["sslrootcert"] == nil ? .none : .noHostnameVerification
            return (.require, settings)
        case "verify-ca":
            settings.certificateVerification = .noHostnameVerification
            return (.require, settings)
        case "verify-full":
            settings.certificateVerification = .fullVerification
            return (.require, settings)
        case let other:
            throw Stores.Unavailable(description: "sslmode=\(other) is not one of disable, allow, prefer, require, verify-ca, verify-full")
        }
    }

    static func configuration(_ url: URL) throws -> PostgresClient.Configuration {
        guard let host = url.host, !host.isEmpty else { throw Stores.Unavailable(description: "a PostgreSQL URL needs a host") }
        let components = URLComponents(url: url, resolvingAgainstBaseURL: false)
        let query = Dictionary((components?.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { _, last in last })
        let (mode, settings) = try tls(url)
        let tls: PostgresClient.Configuration.TLS =
            switch mode {
            case .disable: .disable
            case .prefer: .prefer(settings)
            case .require: .require(settings)
            }
        let database = String(url.path.dropFirst())
        var configuration = PostgresClient.Configuration(
            host: host, port: url.port ?? 5432, username: url.user ?? "postgres", password: url.password?.removingPercentEncoding,
            database: database.isEmpty ? nil : database, tls: tls)
        if let size = query["pool_size"].flatMap(Int.init), size > 0 { configuration.options.maximumConnections = size }
        configuration.options.connectTimeout = .seconds(10)
        return configuration
    }

    /// The same settings for one connection of its own.
    static func probeConfiguration(_ url: URL, _ configuration: PostgresClient.Configuration) throws -> PostgresConnection.Configuration {
        let (mode, settings) = try tls(url)
        let tls: PostgresConnection.Configuration.TLS =
            switch mode {
            case .disable: .disable
            case .prefer: .prefer(try NIOSSLContext(configuration: settings))
            case .require: .require(try NIOSSLContext(configuration: settings))
            }
        var probe = PostgresConnection.Configuration(
            host: configuration.host ?? "127.0.0.1", port: configuration.port ?? 5432, username: configuration.username, password: configuration.password,
            database: configuration.database, tls: tls)
        probe.options.connectTimeout = .init(configuration.options.connectTimeout)
        return probe
    }

    /// The server's message for an error, never the query's values.
    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return message }
            if let underlying = error.underlying { return "could not connect (\(underlying))" }
            return "\(error.code)"
        }
        return "\(error)"
    }

    // MARK: Queries

    /// The rows of a query, each readable by column name.
    func rows(_ query: PostgresQuery, on connection: PostgresConnection? = nil) async throws -> [PostgresRandomAccessRow] {
        let sequence: PostgresRowSequence
        if let connection {
            sequence = try await connection.query(query, logger: logger)
        } else {
            sequence = try await client.query(query, logger: logger)
        }
        var rows: [PostgresRandomAccessRow] = []
        for try await row in sequence { rows.append(row.makeRandomAccess()) }
        return rows
    }

    func row(_ query: PostgresQuery, on connection: PostgresConnection? = nil) async throws -> PostgresRandomAccessRow? {
        try await rows(query, on: connection).first
    }

    /// Runs `body` in one write transaction, after every other replica's writer (the write
    /// lock). It returns its result and what it touched: nil when it changed nothing a cache
    /// keeps, else the scopes recorded with the store's new version and announced.
    func write<T: Sendable>(_ body: (PostgresConnection) async throws -> (T, Set<ChangeScope>?)) async throws -> T {
        let (result, committed) = try await mapErrors {
            try await client.withTransaction(logger: logger) { connection -> (T, StoreChange?) in
                _ = try await rows("SELECT pg_advisory_xact_lock(\(Self.writeLock))", on: connection)
                let (result, scopes) = try await body(connection)
                guard let scopes else { return (result, nil) }
                return (result, try await bumpVersion(connection, scopes: scopes))
            }
        }
        if let committed { version.learn(committed) }
        return result
    }

    /// Moves the store's version in the transaction of a change, records what it touched,
    /// and announces it to every replica (at commit).
    func bumpVersion(_ connection: PostgresConnection, scopes: Set<ChangeScope>) async throws -> StoreChange {
        let next = try await row("UPDATE store_version SET version = version + 1 WHERE id = 1 RETURNING version", on: connection)
        let value = try next?["version"].decode(Int64.self) ?? 0
        _ = try await rows("INSERT INTO store_changes (version, scopes) VALUES (\(value), \(StoreVersion.text(of: scopes)))", on: connection)
        if UInt64(value) > StoreVersion.changesKept {
            _ = try await rows("DELETE FROM store_changes WHERE version <= \(value - Int64(StoreVersion.changesKept))", on: connection)
        }
        _ = try await rows("SELECT pg_notify(\(Self.channel), \(String(value)))", on: connection)
        return StoreChange(version: UInt64(value), scopes: scopes.contains(.everything) ? [.everything] : scopes)
    }

    /// Maps constraint failures to domain errors so that SQL never reaches a caller.
    func mapErrors<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PostgresTransactionError {
            // What failed inside the transaction (it was rolled back), as if thrown directly.
            guard let inner = error.closureError ?? error.beginError ?? error.commitError else { throw error }
            return try await mapErrors { throw inner }
        } catch let error as PSQLError {
            guard let state = error.serverInfo?[.sqlState] else { throw error }
            let constraint = error.serverInfo?[.constraintName] ?? ""
            if state == "23505" { throw StoreError.alreadyExists(Self.subject(ofConstraint: constraint)) }
            if state.hasPrefix("23") { throw StoreError.conflict("the change breaks a catalog invariant (\(Self.subject(ofConstraint: constraint)))") }
            if state == "P0001" { throw StoreError.conflict(error.serverInfo?[.message] ?? "refused by the database") }
            throw error
        }
    }

    static func subject(ofConstraint name: String) -> String {
        switch name {
        case "image_tags_repository_tag_key": "a tag tracked by another entry"
        case "images_pkey": "an image with that name"
        case "tokens_name_key": "a token with that name"
        default: "a record with that key"
        }
    }

    // MARK: Versions and changes

    public func generation() async -> UInt64 {
        await version.current { [self] in
            (try? await rows(Prepared.StoreVersion()).first?["version"].decode(Int64.self)).flatMap { $0.map(UInt64.init) }
        }
    }

    public func changes(after after: UInt64, limit: Int) async throws -> [StoreChange] {
        if let remembered = version.remembered(after: after, limit: limit) { return remembered }
        return try await rows("SELECT version, scopes FROM store_changes WHERE version > \(Int64(after)) ORDER BY version LIMIT \(limit)").map {
            StoreVersion.change(version: UInt64(try $0["version"].decode(Int64.self)), text: try $0["scopes"].decode(String.self))
        }
    }

    /// Listens on `plinth_changes` on a connection of its own, for as long as the store lives
    /// (reconnecting after a lost connection); each notification moves the version known.
    private func startListening() {
        let task = Task { [weak self, client, logger] in
            while !Task.isCancelled {
                do {
                    try await client.withConnection { connection in
                        try await connection.listen(on: Self.channel) { notifications in
                            for try await notification in notifications {
                                if let value = UInt64(notification.payload) { self?.version.advance(to: value) }
                            }
                        }
                    }
                } catch {
                    if Task.isCancelled { return }
                    logger.warning("listening for other replicas' changes failed; retrying", metadata: ["error": "\(Self.describe(error))"])
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
        listening.withLock { $0 = task }
    }

    // MARK: Migrations

    /// Applies the embedded `migrations/postgres/` files not yet applied, each in its own
    /// transaction, one replica at a time (an advisory lock): replicas started together
    /// migrate once.
    func migrate() async throws {
        let files = try Migrations.embedded(backend: .postgres)
        try await client.withConnection { connection in
            _ = try await connection.query("SELECT pg_advisory_lock(\(Self.migrationLock))", logger: logger)
            do {
                _ = try await connection.query(
                    "CREATE TABLE IF NOT EXISTS plinth_migrations (identifier TEXT PRIMARY KEY NOT NULL, applied_at TEXT NOT NULL)", logger: logger)
                var applied = Set<String>()
                for try await name in try await connection.query("SELECT identifier FROM plinth_migrations", logger: logger).decode(String.self) {
                    applied.insert(name)
                }
                var done: [String] = []
                for file in files where !applied.contains(file.name) {
                    try await connection.withTransaction(logger: logger) { connection in
                        for statement in Migrations.statements(of: file.sql) {
                            _ = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                        }
                        _ = try await connection.query(
                            "INSERT INTO plinth_migrations (identifier, applied_at) VALUES (\(file.name), \(Timestamp.format(Date())))", logger: logger)
                    }
                    done.append(file.name)
                }
                _ = try await connection.query("SELECT pg_advisory_unlock(\(Self.migrationLock))", logger: logger)
                if !done.isEmpty { logger.info("migrated database", metadata: ["database": "\(location)", "applied": "\(done.joined(separator: ","))"]) }
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.migrationLock))", logger: logger)
                throw error
            }
        }
    }

    /// The migrations recorded as applied, in order.
    func appliedMigrations() async throws -> [String] {
        try await rows("SELECT identifier FROM plinth_migrations ORDER BY identifier").map { try $0["identifier"].decode(String.self) }
    }
}
