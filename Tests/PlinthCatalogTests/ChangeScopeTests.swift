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
