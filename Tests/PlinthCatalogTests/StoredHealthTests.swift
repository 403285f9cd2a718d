import Foundation
import PlinthCore
import PlinthStore
import PlinthTestSupport
import Testing

@testable import PlinthCatalog

/// Health grades come from a basis the store keeps per digest (migration 0013): made once,
/// read by every process, dropped in the transaction of whatever changes what it was made from.
@Suite("Stored health")
struct StoredHealthTests {
    static func ubuntu(_ database: TestDatabase) async throws -> (Digest, StoredEntry) {
        let digest = try await AdvisoryTests.digest(AdvisoryTests.ubuntu2204, database, image: "ubuntu-22-04")
        return (digest, try #require(try await database.store.entry(named: "ubuntu-22-04")))
    }

    @Test func aLookupKeepsTheBasisAndAnAdvisoryImportDropsIt() async throws {
        let (database, catalog) = try await TestDatabase.seeded()
        let (digest, entry) = try await Self.ubuntu(database)
        #expect(try await catalog.lookup(digest).health?.advisories.isEmpty == true)
        #expect(try await database.store.healthBasis(of: digest, image: entry.entry.name, revision: entry.revision) != nil)

        _ = try await catalog.importAdvisories(try AdvisorySource.files(at: AdvisoryTests.records.appendingPathComponent("ubuntu").path))
        #expect(try await database.store.healthBasis(of: digest, image: entry.entry.name, revision: entry.revision) == nil)
        // Graded again with the advisories imported, and kept again.
        #expect(try await catalog.lookup(digest).health?.advisories.values.reduce(0, +) == 1)
        let kept = try #require(try await database.store.healthBasis(of: digest, image: entry.entry.name, revision: entry.revision))
        #expect(try HealthBasis.parse(kept).findings.count == 1)
        // Another process on the same store reads the same health.
        #expect(try await database.catalog(now: Fixtures.now).lookup(digest).health == (try await catalog.lookup(digest).health))
    }

    @Test func aNewProcessGradesFromTheKeptBasisUntilAnExceptionDropsIt() async throws {
        let (database, catalog, _) = try await AdvisoryTests.seededWithAdvisories("ubuntu")
        let (digest, entry) = try await Self.ubuntu(database)
        let answer = try await catalog.lookup(digest)
        #expect(answer.health?.grade == .A)
        // A basis that says a critical advisory with a fix was published a year ago.
        var basis = try HealthBasis.parse(try #require(try await database.store.healthBasis(of: digest, image: entry.entry.name, revision: entry.revision)))
        basis.findings = [.init(severity: .critical, published: Fixtures.now.addingTimeInterval(-365 * 86_400), fixed: true, exceptionExpires: nil)]
        try await database.store.keepHealthBasis(try basis.json(), of: digest, image: entry.entry.name, revision: entry.revision, madeAt: await database.store.generation())
        let fresh = database.catalog(now: Fixtures.now)
        let health = try #require(try await fresh.lookup(digest).health)
        #expect(health.advisories == [.critical: 1])
        #expect(health.grade != .A)

        // An exception on another entry leaves it; one on this entry drops it.
        try await catalog.exceptAdvisory("CVE-2024-2236", image: "debian-bookworm-slim", expires: Fixtures.now.addingTimeInterval(86_400), actor: "token:alice", reason: "not used")
        #expect(try await database.store.healthBasis(of: digest, image: entry.entry.name, revision: entry.revision) != nil)
        try await catalog.exceptAdvisory("CVE-2024-2236", image: "ubuntu-22-04", expires: Fixtures.now.addingTimeInterval(86_400), actor: "token:alice", reason: "not used")
        #expect(try await database.store.healthBasis(of: digest, image: entry.entry.name, revision: entry.revision) == nil)
        #expect(try await database.catalog(now: Fixtures.now).lookup(digest).health?.grade == .A)
    }

    /// After an import, refreshHealth grades every tracked tag's current digest and keeps the
    /// bases of those advisories were matched for; lookups then read them.
    @Test func aRefreshAfterAnImportKeepsEveryCurrentDigestsBasis() async throws {
        let (database, catalog, _) = try await AdvisoryTests.seededWithAdvisories("ubuntu")
        let (digest, entry) = try await Self.ubuntu(database)
        #expect(try await database.store.healthBasis(of: digest, image: entry.entry.name, revision: entry.revision) == nil)
        var reported: [Int] = []
        let graded = try await catalog.refreshHealth { _, done, _ in reported.append(done) }
        let current = try await catalog.images(ImageFilter(), limit: Catalog.maxPageSize).items.flatMap(\.current).compactMap(\.digest)
        #expect(graded == Set(current).count)
        #expect(reported.last == (try await catalog.entries().count))
        let kept = try #require(try await database.store.healthBasis(of: digest, image: entry.entry.name, revision: entry.revision))
        #expect(try HealthBasis.parse(kept).findings.count == 1)
    }

    /// Packages read for a platform manifest drop the kept basis of the index that lists it:
    /// the index is graded from its platforms' packages.
    @Test func packagesReadForAPlatformDropItsIndexsBasis() async throws {
        let (database, catalog) = try await TestDatabase.seeded()
        let (digest, entry) = try await Self.ubuntu(database)
        let answer = try await catalog.lookup(digest)
        let platform = try #require(answer.platforms.first)
        #expect(try await database.store.healthBasis(of: digest, image: entry.entry.name, revision: entry.revision) != nil)
        let snapshot = ImageSnapshot(
            repository: entry.entry.repository, tag: entry.entry.tags[0], digest: digest, mediaType: try #require(answer.mediaType),
            children: answer.platforms, seenAt: Fixtures.now, source: "registry",
            packages: [platform.digest: [InstalledPackage(type: "deb", name: "zlib1g", version: "1:1.2.11.dfsg-2ubuntu9.2", arch: "amd64", sourceName: "zlib", sourceVersion: "1:1.2.11.dfsg-2ubuntu9.2")]])
        _ = try await database.store.recordSync(
            ObservationWrite(snapshot: snapshot), attempt: SyncAttempt(repository: entry.entry.repository, tag: entry.entry.tags[0], at: Fixtures.now, error: nil))
        #expect(try await database.store.healthBasis(of: digest, image: entry.entry.name, revision: entry.revision) == nil)
    }

    /// A basis made before a change committed is not kept: the change may have dropped what it
    /// was made from after it was read.
    @Test func aBasisMadeBeforeAChangeIsNotKept() async throws {
        let (database, catalog, _) = try await AdvisoryTests.seededWithAdvisories("ubuntu")
        let (digest, entry) = try await Self.ubuntu(database)
        let generation = await database.store.generation()
        try await catalog.exceptAdvisory("CVE-2024-2236", image: "debian-bookworm-slim", expires: Fixtures.now.addingTimeInterval(86_400), actor: "token:alice", reason: "not used")
        try await database.store.keepHealthBasis(#"{"ecosystems":[],"findings":[]}"#, of: digest, image: entry.entry.name, revision: entry.revision, madeAt: generation)
        #expect(try await database.store.healthBasis(of: digest, image: entry.entry.name, revision: entry.revision) == nil)
        // An edited entry is matched again: its revision names the basis.
        try await database.store.keepHealthBasis(#"{"ecosystems":[],"findings":[]}"#, of: digest, image: entry.entry.name, revision: entry.revision, madeAt: await database.store.generation())
        #expect(try await database.store.healthBasis(of: digest, image: entry.entry.name, revision: entry.revision + 1) == nil)
    }
}
