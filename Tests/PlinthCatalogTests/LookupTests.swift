import Foundation
import PlinthCore
import PlinthStore
import PlinthTestSupport
import Testing

@testable import PlinthCatalog

@Suite("Lookup, check and browse over the seed catalog")
struct LookupTests {
    @Test func currentIndexDigestIsApproved() async throws {
        let (_, catalog) = try await TestDatabase.seeded()
        let answer = try await catalog.lookup(try Digest(parsing: Fixtures.bookwormSlimIndex))
        #expect(answer.verdict.verdict == .approved)
        #expect(answer.kind == .index)
        #expect(answer.verdict.standings.map(\.image) == ["debian-bookworm-slim"])
        #expect(answer.platforms.count == 5)  // attestations left out
        #expect(answer.platforms.map(\.platform.description).contains("linux/arm64/v8"))
    }

    @Test func platformDigestFollowsItsIndex() async throws {
        let (_, catalog) = try await TestDatabase.seeded()
        let answer = try await catalog.lookup(try Digest(parsing: Fixtures.bookwormSlimAmd64))
        #expect(answer.verdict.verdict == .approved)
        #expect(answer.kind == .manifest)
        #expect(answer.platform?.description == "linux/amd64")
        #expect(answer.index?.description == Fixtures.bookwormSlimIndex)
        #expect(answer.digest.description == Fixtures.bookwormSlimAmd64)
    }

    @Test func attestationManifestIsNotAnApprovedPlatform() async throws {
        let (_, catalog) = try await TestDatabase.seeded()
        #expect(try await catalog.lookup(try Digest(parsing: Fixtures.bookwormSlimAttestation)).verdict.verdict == .unknown)
    }

    @Test func earlierBuildOfTheTagIsExpiredAndNamesTheCurrentDigest() async throws {
        let (_, catalog) = try await TestDatabase.seeded()
        let answer = try await catalog.lookup(try Digest(parsing: Fixtures.bookwormSlimEarlierIndex))
        #expect(answer.verdict.verdict == .expired)
        #expect(answer.verdict.currentDigest?.description == Fixtures.bookwormSlimIndex)
        // Superseded when the 2026-09-18 build was approved, plus 14 days of grace.
        #expect(answer.verdict.graceUntil.map(RFC3339.format) == "2026-10-02T00:00:00Z")
    }

    @Test func earlierBuildIsSupersededWithinGrace() async throws {
        let withinGrace = try #require(RFC3339.parse("2026-09-25T00:00:00Z"))
        let (_, catalog) = try await TestDatabase.seeded(now: withinGrace)
        let answer = try await catalog.lookup(try Digest(parsing: Fixtures.bookwormSlimEarlierIndex))
        #expect(answer.verdict.verdict == .superseded)
    }

    @Test func manualPolicyLeavesSeededDigestPending() async throws {
        let (_, catalog) = try await TestDatabase.seeded()
        // amazonlinux-2023 is curated with a manual policy: its seeded builds wait for a curator.
        let answer = try await catalog.lookup(try Digest(parsing: "sha256:74c545e3e04db388b00bd31d7cc5640d4e9c12058a6d72af938d113da3c82893"))
        #expect(answer.verdict.verdict == .pending)
    }

    @Test func unknownDigestIsUnknown() async throws {
        let (_, catalog) = try await TestDatabase.seeded()
        let answer = try await catalog.lookup(try Digest(parsing: Fixtures.unknownDigest))
        #expect(answer.verdict.verdict == .unknown)
        #expect(answer.kind == nil)
    }

    @Test func checkJudgesEachItemAndFailsUnpinnedOnes() async throws {
        let (_, catalog) = try await TestDatabase.seeded()
        let results = try await catalog.judge([
            Fixtures.bookwormSlimIndex,
            "debian:bookworm-slim@" + Fixtures.bookwormSlimAmd64,
            "debian:bookworm-slim",
            Fixtures.bookwormSlimEarlierIndex,
        ])
        #expect(results.map(\.passes) == [true, true, false, false])
        #expect(results[2].outcome == .unpinned)
        #expect(results[3].outcome == .verdict(.expired))
        #expect(results[3].currentDigest?.description == Fixtures.bookwormSlimIndex)
    }

    @Test func checkFailsABadItemWithItsReasonAndJudgesTheRest() async throws {
        let (_, catalog) = try await TestDatabase.seeded()
        let results = try await catalog.judge([Fixtures.bookwormSlimIndex, "sha256:xyz", "Not A Reference"])
        #expect(results.map(\.outcome) == [.verdict(.approved), .invalid, .invalid])
        #expect(results[1].reason == "sha256 digest must have 64 hex characters, got 3")
        #expect(results[2].reason == "'Not A Reference' is not a valid image reference")
    }

    @Test func imagesFilterByWorkloadPlatformOsStatusAndText() async throws {
        let (_, catalog) = try await TestDatabase.seeded()
        let python = try await catalog.images(ImageFilter(workload: "python")).items.map(\.entry.name)
        #expect(python.contains("python-3-12-slim-bookworm"))
        #expect(!python.contains("distroless-static-debian12"))
        let ubuntu = try await catalog.images(ImageFilter(os: "ubuntu:24.04")).items.map(\.entry.name)
        #expect(ubuntu == ["eclipse-temurin-21-jre", "ubuntu-24-04"])
        let arm = try await catalog.images(ImageFilter(platform: try Platform(parsing: "linux/arm64"))).items
        #expect(arm.count == 18)
        let proposed = try await catalog.images(ImageFilter(status: .proposed)).items.map(\.entry.name)
        #expect(proposed == ["chainguard-static"])
        let text = try await catalog.images(ImageFilter(query: "LAMBDA")).items.map(\.entry.name)
        #expect(text == ["amazonlinux-2023"])
    }

    @Test func imagesPaginateWithACursor() async throws {
        let (_, catalog) = try await TestDatabase.seeded()
        var names: [String] = []
        var cursor: String?
        var pages = 0
        repeat {
            let page = try await catalog.images(ImageFilter(), limit: 5, cursor: cursor)
            names += page.items.map(\.entry.name)
            cursor = page.nextCursor
            pages += 1
        } while cursor != nil
        #expect(pages == 4)
        #expect(names.count == 18)
        #expect(names == names.sorted())
        await #expect(throws: CatalogError.invalidCursor) { try await catalog.images(ImageFilter(), cursor: "garbage!") }
        // A cursor is a position: an entry name that no longer exists still pages on from there.
        #expect(try await catalog.images(ImageFilter(), limit: 2, cursor: "debian-a").items.map(\.entry.name) == ["debian-bookworm-slim", "debian-trixie-slim"])
    }

    @Test func historyShowsLineageWithVerdicts() async throws {
        let (_, catalog) = try await TestDatabase.seeded()
        let (_, tags) = try await catalog.history(named: "debian-bookworm-slim")
        let slim = try #require(tags.first { $0.tag == "bookworm-slim" })
        #expect(slim.items.map(\.observation.digest.description) == [Fixtures.bookwormSlimEarlierIndex, Fixtures.bookwormSlimIndex])
        #expect(slim.items.map { $0.verdict?.verdict } == [.expired, .approved])
        #expect(slim.currentDigest?.description == Fixtures.bookwormSlimIndex)
        let twelve = try #require(tags.first { $0.tag == "12-slim" })
        #expect(twelve.items.isEmpty)
    }

    @Test func matrixListsMostRecommendedFirstAndLeavesRetiredOut() async throws {
        let (_, catalog) = try await TestDatabase.seeded()
        let matrix = try await catalog.matrix()
        let staticBinary = try #require(matrix.rows.first { $0.workload == "static-binary" })
        #expect(staticBinary.images.first?.image == "distroless-static-debian12")
        #expect(staticBinary.images.first?.support == .recommended)
        let supports = staticBinary.images.map(\.support)
        #expect(supports == supports.sorted())
    }

    @Test func currentDigestOfATrackedTag() async throws {
        let (_, catalog) = try await TestDatabase.seeded()
        #expect(try await catalog.currentDigest(of: try ImageReference(parsing: "debian:bookworm-slim"))?.description == Fixtures.bookwormSlimIndex)
        #expect(try await catalog.currentDigest(of: try ImageReference(parsing: "debian:sid")) == nil)
    }
}

@Suite("Concurrent cache misses")
struct ConcurrentMissTests {
    @Test func manyLookupsOfAnUncachedDigestComputeItsAnswerOnce() async throws {
        let (database, catalog) = try await TestDatabase.seeded()
        defer { withExtendedLifetime(database) {} }
        let digest = try Digest(parsing: Fixtures.bookwormSlimAmd64)
        let before = catalog.cache.computations.load(ordering: .relaxed)
        let answers = try await withThrowingTaskGroup(of: DigestAnswer.self) { group in
            for _ in 0..<64 { group.addTask { try await catalog.lookup(digest) } }
            return try await group.reduce(into: [DigestAnswer]()) { $0.append($1) }
        }
        #expect(answers.count == 64 && Set(answers.map(\.verdict.verdict)) == [.approved])
        #expect(Set(answers).count == 1, "every request gets the one answer")
        // The platform manifest's answer, and the index's it is judged through: once each.
        #expect(catalog.cache.computations.load(ordering: .relaxed) - before <= 2)
    }
}
