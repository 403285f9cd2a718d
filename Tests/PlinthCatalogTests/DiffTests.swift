import Foundation
import PlinthCore
import PlinthStore
import PlinthTestSupport
import Testing

@testable import PlinthCatalog

/// Digest diffs and the changelog's summary of each tag move.
@Suite("Digest diff")
struct DiffTests {
    /// Two builds of one tag: the second upgrades, downgrades, removes and adds packages, and
    /// drops a platform while gaining another.
    @Test func aDiffListsExactlyThePackageChanges() async throws {
        let (database, catalog) = try await TestDatabase.seeded()
        let bookworm = try await database.store.packages(of: try Digest(parsing: Fixtures.bookwormSlimAmd64))
        #expect(bookworm.count == 88)
        var next = bookworm.filter { $0.name != "libgcc-s1" }  // removed
        func change(_ name: String, to version: String) {
            guard let i = next.firstIndex(where: { $0.name == name }) else { return }
            next[i].version = version
        }
        let bash = try #require(bookworm.first { $0.name == "bash" }?.version)
        let tar = try #require(bookworm.first { $0.name == "tar" }?.version)
        let zlib = try #require(bookworm.first { $0.name == "zlib1g" }?.version)
        change("bash", to: bash + "+deb12u1")  // upgraded
        change("tar", to: tar + "+b1")  // upgraded
        change("zlib1g", to: "1:1.2.11.dfsg-2")  // downgraded
        next.append(InstalledPackage(type: "deb", name: "ca-certificates", version: "20230311", arch: "all", sourceName: nil, sourceVersion: nil))

        let amd64 = try Platform(parsing: "linux/amd64"), arm64 = try Platform(parsing: "linux/arm64/v8"), s390x = try Platform(parsing: "linux/s390x")
        func build(_ n: Int, platforms: [Platform], packages: [InstalledPackage]) -> (Digest, ImageSnapshot) {
            let index = Digest.compute(.sha256, of: Array("index \(n)".utf8))
            let children = platforms.map { IndexChild(digest: Digest.compute(.sha256, of: Array("\($0) \(n)".utf8)), mediaType: .ociManifest, platform: $0) }
            let snapshot = ImageSnapshot(
                repository: "docker.io/library/debian", tag: "bookworm-slim", digest: index, mediaType: .ociIndex, children: children,
                seenAt: Fixtures.now.addingTimeInterval(Double(n) * 3600), source: "test", packages: [children[0].digest: packages])
            return (index, snapshot)
        }
        let (first, one) = build(1, platforms: [amd64, arm64], packages: bookworm)
        let (second, two) = build(2, platforms: [amd64, s390x], packages: next)
        try await database.store.apply(CatalogPlan(observations: [ObservationWrite(snapshot: one), ObservationWrite(snapshot: two)]))

        let diff = try await catalog.diff(from: first, to: second)
        #expect(diff.platformsCompared == [amd64])
        #expect(diff.platformsGained == [s390x])
        #expect(diff.platformsLost == [arm64])
        #expect(diff.added.map(\.name) == ["ca-certificates"])
        #expect(diff.removed.map(\.name) == ["libgcc-s1"])
        #expect(diff.upgraded.map(\.name) == ["bash", "tar"])
        #expect(diff.upgraded.first?.from == bash)
        #expect(diff.upgraded.first?.to == bash + "+deb12u1")
        #expect(diff.downgraded.map(\.name) == ["zlib1g"])
        #expect(diff.summary == "+1 −1 packages, 2 upgraded, 1 downgraded, gains linux/s390x, loses linux/arm64/v8")

        // The changelog tells each move with its summary.
        let moves = try await catalog.changelog(named: "debian-bookworm-slim").filter { $0.action == "digest.seen" }
        #expect(moves.last?.digest == second)
        #expect(moves.last?.summary == diff.summary)
        await #expect(throws: CatalogError.self) { try await catalog.diff(from: first, to: try Digest(parsing: Fixtures.unknownDigest)) }
    }
}
