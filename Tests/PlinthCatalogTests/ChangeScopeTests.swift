import Foundation
import PlinthCore
import PlinthStore
import PlinthTestSupport
import Testing

@testable import PlinthCatalog

/// What each change touched, which caches use to forget only the answers it touches.
@Suite("Change scopes")
struct ChangeScopeTests {
    /// Each change says what it touched, read back in order by any store on the database.
    @Test func eachChangeRecordsWhatItTouched() async throws {
        let (database, catalog) = try await TestDatabase.seeded()
        let before = await database.store.generation()
        let index = try Digest(parsing: Fixtures.bookwormSlimIndex)
        let amd64 = try Digest(parsing: Fixtures.bookwormSlimAmd64)
        try await catalog.hold(image: "debian-bookworm-slim", tag: "bookworm-slim", at: index, actor: "token:test", reason: "scopes")
        try await catalog.revoke(amd64, actor: "token:test", reason: "scopes")
        try await database.store.recordSync(nil, attempt: SyncAttempt(repository: "docker.io/library/debian", tag: "x", at: Date(), error: nil))
        let changes = try await database.openAgain().changes(after: before, limit: 10)
        #expect(changes.map(\.version) == [before + 1, before + 2])
        #expect(changes.first?.scopes == [.entry("debian-bookworm-slim")])
        let revoke = try #require(changes.last?.scopes)
        #expect(revoke.contains(.digest(amd64)))
        #expect(revoke.contains(.digest(index)))
        #expect(revoke.contains(.entry("debian-bookworm-slim")))
        #expect(!revoke.contains(.entry("alpine-3-22")))
        #expect(!revoke.contains(.everything))
    }

    /// Lists and the matrix keep what a change did not touch: after a hold on Debian's tag,
    /// Alpine's view and the entries' documents are those kept before, Debian's view is made
    /// again and shows the digest held, and the matrix, made again from the views, grades it.
    @Test func listsForgetOnlyTheEntriesAChangeTouches() async throws {
        let (_, catalog) = try await TestDatabase.seeded()
        let earlier = try Digest(parsing: Fixtures.bookwormSlimEarlierIndex)
        let before = try await catalog.images(ImageFilter(), limit: Catalog.maxPageSize).items
        _ = try await catalog.matrix(cellsPerWorkload: 100)
        try await catalog.hold(image: "debian-bookworm-slim", tag: "bookworm-slim", at: earlier, actor: "token:test", reason: "scopes")

        let generation = try await catalog.currentGeneration()
        let moment = catalog.now()
        #expect(catalog.cache.views.value(for: "alpine-3-22", generation: generation, now: moment) != nil)
        #expect(catalog.cache.views.value(for: "debian-bookworm-slim", generation: generation, now: moment) == nil)
        #expect(catalog.cache.entries.value(generation: generation) != nil)
        #expect(catalog.cache.pageMatrix.value(for: 100, generation: generation, now: moment) == nil)

        let after = try await catalog.images(ImageFilter(), limit: Catalog.maxPageSize).items
        #expect(after.map(\.entry.name) == before.map(\.entry.name))
        for (old, new) in zip(before, after) where new.entry.name != "debian-bookworm-slim" {
            #expect(old == new, "\(new.entry.name)")
        }
        let debian = try #require(after.first { $0.entry.name == "debian-bookworm-slim" })
        #expect(debian.current.first { $0.tag == "bookworm-slim" }?.digest == earlier)
        let cell = try await catalog.matrix(cellsPerWorkload: 100).rows.flatMap(\.images).first { $0.image == "debian-bookworm-slim" }
        #expect(cell?.grade == (try await catalog.lookup(earlier)).health?.grade)
        #expect(catalog.cache.pageMatrix.value(for: 100, generation: generation, now: catalog.now()) != nil)
    }

    /// Answers kept across changes still change with every change that touches them: a hold
    /// (a rollback to the earlier digest), a revocation of a platform manifest and its lifting.
    @Test func lookupsSeeEveryChangeThatTouchesThem() async throws {
        let (_, catalog) = try await TestDatabase.seeded()
        let index = try Digest(parsing: Fixtures.bookwormSlimIndex)
        let amd64 = try Digest(parsing: Fixtures.bookwormSlimAmd64)
        let earlier = try Digest(parsing: Fixtures.bookwormSlimEarlierIndex)
        let alpine = try await catalog.lookup(try Digest(parsing: "sha256:365499d9dccb7c8cfaffef995a6c382e71174585e0556f6476ead1c5971c39fb"))
        #expect(try await catalog.lookup(index).verdict.verdict == .approved)
        #expect(try await catalog.lookup(index).currentDigest == index)
        try await catalog.hold(image: "debian-bookworm-slim", tag: "bookworm-slim", at: earlier, actor: "token:test", reason: "scopes")
        #expect(try await catalog.lookup(index).currentDigest == earlier)
        #expect(try await catalog.lookup(try Digest(parsing: "sha256:365499d9dccb7c8cfaffef995a6c382e71174585e0556f6476ead1c5971c39fb")) == alpine)
        try await catalog.revoke(amd64, actor: "token:test", reason: "scopes")
        #expect(try await catalog.lookup(index).verdict.verdict == .revoked)
        #expect(try await catalog.lookup(amd64).verdict.verdict == .revoked)
        try await catalog.liftRevocation(of: amd64, actor: "token:test", reason: "scopes")
        #expect(try await catalog.lookup(amd64).verdict.verdict != .revoked)
    }
}
