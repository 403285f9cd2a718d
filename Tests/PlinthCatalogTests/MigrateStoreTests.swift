import Foundation
import GRDB
import Logging
import PlinthCore
import PlinthRegistry
import PlinthTestSupport
import Testing

@testable import PlinthCatalog
@testable import PlinthStore

/// `plinth migrate-store` from SQLite to PostgreSQL, on the seeded catalog plus an image
/// synced from the real test registry: every lookup answers the same after as before, and the
/// audit chain verifies at the destination. Runs when the suite has a PostgreSQL server.
@Suite("Moving a catalog to PostgreSQL", .enabled(if: TestBackend.current == .postgres, "the suite runs on SQLite"))
struct MigrateStoreTests {
    @Test func everyLookupAnswersTheSameAfterTheCopy() async throws {
        let registries = try await TestRegistries.shared()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-migrate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("plinth.sqlite").path
        let source = try SQLiteStore(path: path)
        let before = Catalog(store: source, now: { Fixtures.now })
        _ = try await before.apply(.embedded)
        let fixture = try Fixtures.directory([
            "fixture.yaml": Fixtures.entryYAML(name: "fixture-index", repository: "\(registries.anonymous)/fixtures/oci-index", tags: ["v1"])
        ])
        _ = try await before.apply(try .directory(fixture.path))
        let client = RegistryClient()
        let synced = try await before.sync(using: client, images: ["fixture-index"], logger: Logger(label: "test"))
        try await client.shutdown()
        #expect(synced.allSatisfy { !$0.failed }, "\(synced)")
        _ = try await before.createToken(name: "ops", role: .curator, expires: nil, actor: "setup")
        try await before.revoke(try Digest(parsing: Fixtures.bookwormSlimAmd64), actor: "token:ops", reason: "before the move")

        let destination = try await TestBackend.newPostgresDatabase()
        let copy = try await PlinthBinary.run(["migrate-store", "--from", "sqlite:\(path)", "--to", destination])
        #expect(copy.status == 0, "\(copy.stderr)")
        #expect(copy.stdout.contains("audit log verifies at the destination"), "\(copy.stdout)")
        let verify = try await PlinthBinary.run(["audit", "verify", "--db", destination])
        #expect(verify.status == 0, "\(verify.stderr)")
        let sourceVerify = try await PlinthBinary.run(["audit", "verify", "--db", path])
        #expect(verify.stdout == sourceVerify.stdout, "the copy's chain ends at the source's head")

        let after = Catalog(store: try await Stores.open(try StoreLocation(parsing: destination)), now: { Fixtures.now })
        let digests = try await source.pool.read { db in
            try String.fetchAll(db, sql: "SELECT digest FROM manifests UNION SELECT child_digest FROM index_children ORDER BY 1")
        }.map { try Digest(parsing: $0) }
        #expect(digests.count > 100)
        print("migrate-store: \(digests.count + 1) lookups compared")
        for digest in digests + [try Digest(parsing: Fixtures.unknownDigest)] {
            let (a, b) = (try await before.lookup(digest), try await after.lookup(digest))
            #expect(a == b, "\(digest): \(a.verdict.verdict) before, \(b.verdict.verdict) after")
        }
        #expect(try await after.lookup(try Digest(parsing: Fixtures.bookwormSlimAmd64)).verdict.verdict == .revoked)
        #expect(try await after.tokens().map(\.name) == ["ops"])
        #expect(try await after.store.history(of: "fixture-index") == (try await source.history(of: "fixture-index")))
        // A second copy into the same database is refused and changes nothing.
        let again = try await PlinthBinary.run(["migrate-store", "--from", "sqlite:\(path)", "--to", destination])
        #expect(again.status == 2)
        #expect(again.stderr.contains("already holds a catalog"), "\(again.stderr)")
    }
}
