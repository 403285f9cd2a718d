import Foundation
import PlinthCatalog
import PlinthStore

/// The backend the suite runs on: `PLINTH_TEST_STORE=postgres` (with `PLINTH_TEST_POSTGRES`
/// naming a server's maintenance database, e.g. postgres://plinth@127.0.0.1:55432/postgres)
/// runs every test that touches storage on PostgreSQL; otherwise SQLite. scripts/test.sh runs
/// the suite once on each.
public enum TestBackend: String, Sendable {
    case sqlite, postgres

    public static let current: TestBackend = ProcessInfo.processInfo.environment["PLINTH_TEST_STORE"] == "postgres" ? .postgres : .sqlite

    /// The server tests make their databases on.
    public static var server: URL {
        get throws {
            guard let text = ProcessInfo.processInfo.environment["PLINTH_TEST_POSTGRES"], let url = URL(string: text) else {
                throw TestBackendError(description: "PLINTH_TEST_STORE=postgres needs PLINTH_TEST_POSTGRES, a postgres:// URL (scripts/postgres.sh start prints one)")
            }
            return url
        }
    }

    /// A new, empty database on the PostgreSQL test server; its URL.
    public static func newPostgresDatabase() async throws -> String {
        let server = try server
        let name = "plinth_test_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20))"
        let (ok, output) = try await TestRegistries.run("psql", [server.absoluteString, "-qAtc", "CREATE DATABASE \(name)"])
        guard ok else { throw TestBackendError(description: "could not create a test database: \(output)") }
        var components = URLComponents(url: server, resolvingAgainstBaseURL: false)!
        components.path = "/\(name)"
        // Without TLS: a suite's worth of handshakes at once is most of the test server's CPU
        // (the TLS tests ask for it themselves). A pool of 6, not postgres-nio's 20: the suite
        // runs its tests in parallel, each on a database of its own, and the server takes 300.
        components.query = "sslmode=disable&pool_size=6"
        return components.string!
    }

    /// Where a test's fresh catalog is kept, as `--db` takes it: a new file in `directory`, or a
    /// new PostgreSQL database.
    public static func newLocation(in directory: URL) async throws -> String {
        switch current {
        case .sqlite: directory.appendingPathComponent("plinth.sqlite").path
        case .postgres: try await newPostgresDatabase()
        }
    }
}

public struct TestBackendError: Error, CustomStringConvertible {
    public var description: String
}

/// A fresh database with the production migrations, on the suite's backend (`TestBackend`):
/// a SQLite file in its own temporary folder (removed when the value is released), or a new
/// PostgreSQL database on the test server.
public final class TestDatabase: Sendable {
    public let directory: URL
    /// Where it is, as `--db` takes it.
    public let location: String
    public let store: any CatalogStore
    public var backend: TestBackend { TestBackend.current }

    public init() async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        location = try await TestBackend.newLocation(in: directory)
        store = try await Self.open(location)
    }

    /// Another store on the same database (another process's view of it).
    public func openAgain() async throws -> any CatalogStore {
        try await Self.open(location)
    }

    static func open(_ location: String) async throws -> any CatalogStore {
        try await Stores.open(try StoreLocation(parsing: location))
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    /// A catalog on this database whose clock stands still at `now`.
    public func catalog(now: Date = Fixtures.now) -> Catalog {
        Catalog(store: store, now: { now })
    }

    /// A catalog loaded with the built-in seed catalog.
    public static func seeded(now: Date = Fixtures.now) async throws -> (TestDatabase, Catalog) {
        let database = try await TestDatabase()
        let catalog = database.catalog(now: now)
        _ = try await catalog.apply(.embedded)
        return (database, catalog)
    }
}

/// Facts of the seed catalog that tests assert on (from seed-data/snapshots, which cite their sources).
public enum Fixtures {
    /// The moment tests stand at.
    public static let now = Date(timeIntervalSince1970: 1_795_780_800)  // 2026-11-27T12:00:00Z

    /// docker.io/library/debian:bookworm-slim, the 2026-09-18 build.
    public static let bookwormSlimIndex = "sha256:3783cc01769c7b2b1b83a5c5ad96c815348e28ed7da68e2e3687004faa906251"
    /// Its linux/amd64 manifest.
    public static let bookwormSlimAmd64 = "sha256:f3034a6ec3c1205360777c4aae76234998866ad18806ae62b63a3f84ccad782b"
    /// Its first attestation manifest (unknown/unknown).
    public static let bookwormSlimAttestation = "sha256:966fe79846d4952fb4670e2f9f533dbfcbe9c978cd756050a319f56455189363"
    /// The 2026-08-03 build of the same tag, superseded on 2026-09-18.
    public static let bookwormSlimEarlierIndex = "sha256:abd67ffcfa541b485a3dff59865ab629aa048a6c613e639d36e7456b0b229241"
    /// A digest no image has.
    public static let unknownDigest = "sha256:" + String(repeating: "0123456789abcdef", count: 4)

    /// The catalog file of `fixture-base`: an approved entry tracking `repository:v1` (a base
    /// on the test registry that application images are built on), approved automatically.
    public static func baseEntry(repository: String) -> String {
        """
        name: fixture-base
        title: Fixture base
        repository: \(repository)
        tags: [v1]
        status: approved
        os: {family: fixture, version: "1"}
        platforms: [linux/amd64]
        workloads: []
        owner: tests
        rationale: A base for application images.
        approval: {policy: automatic, grace_days: 7}

        """
    }

    /// Writes `files` (name to text) into a new temporary directory.
    public static func directory(_ files: [String: String]) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-catalog-\(UUID().uuidString)")
        for (name, text) in files {
            let file = url.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: file)
        }
        return url
    }

    /// A valid entry file.
    public static func entryYAML(name: String, repository: String = "docker.io/library/debian", tags: [String] = ["bookworm-slim"], title: String = "Debian slim") -> String {
        """
        name: \(name)
        title: \(title)
        repository: \(repository)
        tags: [\(tags.map { "\"\($0)\"" }.joined(separator: ", "))]
        status: approved
        os: {family: debian, version: "12", codename: bookworm, eol: 2028-06-30}
        platforms: [linux/amd64, linux/arm64]
        workloads:
          - {workload: python, support: supported, notes: "python3 from apt"}
          - {workload: static-binary, support: not-recommended}
        owner: platform-team
        rationale: Widely used glibc base.
        approval: {policy: automatic, grace_days: 14}

        """
    }
}
