import Foundation
import GRDB
import PlinthCore
import PlinthTestSupport
import Testing

@testable import PlinthStore

/// The store's contract, on the suite's backend (`TestBackend`: SQLite, or PostgreSQL when
/// PLINTH_TEST_STORE=postgres): scripts/test.sh runs it on both.
@Suite("Catalog store")
struct CatalogStoreTests {
    static let t0 = Date(timeIntervalSince1970: 1_790_000_000)
    static let digestA = try! Digest(parsing: "sha256:" + String(repeating: "a", count: 64))
    static let digestB = try! Digest(parsing: "sha256:" + String(repeating: "b", count: 64))

    static func entry(_ name: String = "debian-bookworm-slim", tags: [String] = ["bookworm-slim"]) -> CatalogEntry {
        CatalogEntry(
            name: name, title: "Debian", repository: "docker.io/library/debian", tags: tags, status: .approved,
            os: .init(family: "debian", version: "12"), platforms: [try! Platform(parsing: "linux/amd64")],
            workloads: [.init(workload: "python", support: .supported)], owner: "platform", rationale: "r", tradeoffs: nil,
            successor: nil, approval: .init(policy: .automatic, graceDays: 14))
    }

    static func snapshot(_ digest: Digest, at: Date, tag: String = "bookworm-slim") -> ImageSnapshot {
        ImageSnapshot(
            repository: "docker.io/library/debian", tag: tag, digest: digest, mediaType: .ociIndex,
            children: [IndexChild(digest: digestB, mediaType: .ociManifest, platform: try! Platform(parsing: "linux/amd64"))],
            seenAt: at, source: "test")
    }

    @Test func migrationsAreAppliedInOrderAndRecorded() async throws {
        let database = try await TestDatabase()
        switch database.backend {
        case .sqlite:
            let store = try #require(database.store as? SQLiteStore)
            let applied = try await store.pool.read { db in
                try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid")
            }
            #expect(applied == (try Migrations.embedded().map(\.name)))
            #expect(applied.first == "0001_catalog")
            let journal = try await store.pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
            #expect(journal == "wal")
        case .postgres:
            let store = try #require(database.store as? PostgresStore)
            let applied = try await store.appliedMigrations()
            #expect(applied == (try Migrations.embedded(backend: .postgres).map(\.name)))
        }
        // The backends' migrations are numbered alike and say the same thing.
        #expect(try Migrations.embedded(backend: .postgres).map(\.name) == (try Migrations.embedded(backend: .sqlite).map(\.name)))
        // Opening the same database again applies nothing new and keeps the data.
        try await database.store.apply(CatalogPlan(created: [Self.entry()]))
        #expect(try await database.openAgain().entries().map(\.entry.name) == ["debian-bookworm-slim"])
    }

    @Test func migrationStatementsAreSplitOutsideFunctionBodies() {
        let sql = """
            -- a comment;
            CREATE TABLE a (x TEXT);
            CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'no';
            END;
            $$;

            INSERT INTO a VALUES ('y;')
            """
        #expect(
            Migrations.statements(of: sql) == [
                "CREATE TABLE a (x TEXT);",
                "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    RAISE EXCEPTION 'no';\nEND;\n$$;",
                "INSERT INTO a VALUES ('y;')",
            ])
    }

    @Test func migrationFilesMustBeNumberedInSequence() throws {
        #expect(throws: Migrations.LoadError.self) { try Migrations.parse(["0001_a.sql": "", "0003_c.sql": ""]) }
        #expect(throws: Migrations.LoadError.self) { try Migrations.parse(["1_a.sql": ""]) }
        #expect(try Migrations.parse(["0002_b.sql": "B", "0001_a.sql": "A"]).map(\.sql) == ["A", "B"])
    }

    @Test func entriesRoundTrip() async throws {
        let database = try await TestDatabase()
        try await database.store.apply(CatalogPlan(created: [Self.entry()]))
        let stored = try await database.store.entry(named: "debian-bookworm-slim")
        #expect(stored?.entry == Self.entry())
        #expect(try await database.store.entries().map(\.entry.name) == ["debian-bookworm-slim"])
    }

    /// Another process on the same database (here a second store) sees a commit: it reads the
    /// version at most once a second, so within about a second on a quiet machine (the bound
    /// here is loose, for loaded CI machines; it catches a store that never looks again).
    @Test func anotherStoreOnTheDatabaseSeesACommit() async throws {
        let database = try await TestDatabase()
        let other = try await database.openAgain()
        let before = await other.generation()
        try await database.store.apply(CatalogPlan(created: [Self.entry()]))
        #expect(await database.store.generation() > before)  // at once where it was written
        let clock = ContinuousClock()
        let start = clock.now
        while await other.generation() == before, clock.now - start < .seconds(10) { try await Task.sleep(for: .milliseconds(20)) }
        #expect(await other.generation() > before)
        #expect(clock.now - start < .seconds(5))
        // Bookkeeping alone (a sync attempt) does not move it.
        let moved = await database.store.generation()
        try await database.store.recordSync(nil, attempt: SyncAttempt(repository: "docker.io/library/x", tag: "1", at: Date(), error: nil))
        #expect(await database.store.generation() == moved)
    }

    @Test func creatingAnExistingEntryIsAlreadyExistsAndWritesNothing() async throws {
        let database = try await TestDatabase()
        try await database.store.apply(CatalogPlan(created: [Self.entry()]))
        let generation = await database.store.generation()
        await #expect(throws: StoreError.alreadyExists("an image with that name")) {
            try await database.store.apply(
                CatalogPlan(created: [Self.entry("other-entry", tags: ["x"]), Self.entry()]))
        }
        // The transaction rolled back: the first entry of the failed change set is not there.
        #expect(try await database.store.entry(named: "other-entry") == nil)
        #expect(await database.store.generation() == generation)
    }

    @Test func aTagBelongsToOneEntry() async throws {
        let database = try await TestDatabase()
        try await database.store.apply(CatalogPlan(created: [Self.entry()]))
        await #expect(throws: StoreError.alreadyExists("a tag tracked by another entry")) {
            try await database.store.apply(CatalogPlan(created: [Self.entry("debian-copy")]))
        }
    }

    @Test func observationsFormRunsAndNeverRewriteHistory() async throws {
        let database = try await TestDatabase()
        let store = database.store
        try await store.apply(CatalogPlan(created: [Self.entry()]))
        let day: TimeInterval = 86_400
        var outcome = try await store.apply(CatalogPlan(observations: [.init(snapshot: Self.snapshot(Self.digestA, at: Self.t0))]))
        #expect(outcome.newObservations == 1)
        outcome = try await store.apply(CatalogPlan(observations: [.init(snapshot: Self.snapshot(Self.digestA, at: Self.t0 + day))]))
        #expect(outcome.extendedObservations == 1)
        outcome = try await store.apply(CatalogPlan(observations: [.init(snapshot: Self.snapshot(Self.digestA, at: Self.t0 + day))]))
        #expect(outcome == ChangeOutcome())  // already known
        try await store.apply(CatalogPlan(observations: [.init(snapshot: Self.snapshot(Self.digestB, at: Self.t0 + 2 * day))]))
        try await store.apply(CatalogPlan(observations: [.init(snapshot: Self.snapshot(Self.digestA, at: Self.t0 + 3 * day))]))

        let history = try await store.history(of: "debian-bookworm-slim")
        #expect(history.map(\.digest) == [Self.digestA, Self.digestB, Self.digestA])
        #expect(history[0].firstSeen == Self.t0)
        #expect(history[0].lastSeen == Self.t0 + day)
        #expect(history[2].firstSeen == Self.t0 + 3 * day)
    }

    @Test func policyApprovalIsRecordedOnceAndAudited() async throws {
        let database = try await TestDatabase()
        let store = database.store
        try await store.apply(CatalogPlan(created: [Self.entry()]))
        let approval = Approval(by: "policy", at: Self.t0)
        let write = ObservationWrite(snapshot: Self.snapshot(Self.digestA, at: Self.t0), approveFor: "debian-bookworm-slim", approval: approval)
        #expect(try await store.apply(CatalogPlan(observations: [write])).approvalsAdded == 1)
        #expect(try await store.apply(CatalogPlan(observations: [write])).approvalsAdded == 0)
        #expect(try await store.approvals(of: "debian-bookworm-slim") == [Self.digestA: approval])
        let events = try await store.auditEvents(limit: 10)
        #expect(events.map(\.action) == ["digest.approve"])
        #expect(events.first?.subject == Self.digestA.description)
    }

    @Test func factsJoinTagsToEntriesAndChildrenToIndexes() async throws {
        let database = try await TestDatabase()
        let store = database.store
        try await store.apply(CatalogPlan(created: [Self.entry()], observations: [.init(snapshot: Self.snapshot(Self.digestA, at: Self.t0))]))
        let facts = try #require(try await store.facts(about: Self.digestA))
        #expect(facts.lineages.map(\.tag) == ["bookworm-slim"])
        #expect(facts.children.map(\.digest) == [Self.digestB])
        #expect(try await store.parents(of: Self.digestB).map(\.index) == [Self.digestA])
        #expect(try await store.facts(about: Self.digestB) == nil)
    }
}

/// The PostgreSQL store over TLS, as the URL asks: the test server (scripts/postgres.sh) offers
/// TLS with a self-signed certificate, PLINTH_TEST_POSTGRES_CA.
@Suite("PostgreSQL over TLS", .enabled(if: TestBackend.current == .postgres && ProcessInfo.processInfo.environment["PLINTH_TEST_POSTGRES_CA"] != nil))
struct PostgresTLSTests {
    static func url(_ query: String) async throws -> URL {
        var components = URLComponents(string: try await TestBackend.newPostgresDatabase())!
        components.query = query
        return components.url!
    }

    static func encrypted(_ store: any CatalogStore) async throws -> Bool {
        let store = try #require(store as? PostgresStore)
        return try await store.row("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")?.value("ssl", as: Bool.self) ?? false
    }

    @Test func eachSSLModeDoesWhatItSays() async throws {
        let ca = ProcessInfo.processInfo.environment["PLINTH_TEST_POSTGRES_CA"]!
        #expect(try await Self.encrypted(try await Stores.open(.postgres(try await Self.url("sslmode=require")))))
        #expect(try await Self.encrypted(try await Stores.open(.postgres(try await Self.url("sslmode=verify-full&sslrootcert=\(ca)")))))
        #expect(try await !Self.encrypted(try await Stores.open(.postgres(try await Self.url("sslmode=disable")))))
        // verify-full against a certificate no trusted root signed: refused, and said so.
        await #expect(throws: Stores.Unavailable.self) { _ = try await Stores.open(.postgres(try await Self.url("sslmode=verify-full"))) }
        await #expect(throws: Stores.Unavailable.self) { _ = try await Stores.open(.postgres(try await Self.url("sslmode=sometimes"))) }
    }
}
