import Foundation
import PlinthCore
import PlinthStore
import PlinthTestSupport
import Testing

@testable import PlinthCatalog

/// The catalog-wide changes (the `/changes` page and feed) read only as far as the page
/// asked for; they must say what every entry's own changelog says, merged, newest first.
@Suite("Catalog-wide changes")
struct ChangesTests {
    @Test func everyPageTogetherIsEveryEntrysChangelogMergedNewestFirst() async throws {
        let (database, catalog) = try await TestDatabase.seeded()
        // Audited changes too: a revocation and its lifting.
        try await catalog.revoke(try Digest(parsing: Fixtures.bookwormSlimAmd64), actor: "token:test", reason: "changes test")
        try await catalog.liftRevocation(of: try Digest(parsing: Fixtures.bookwormSlimAmd64), actor: "token:test", reason: "changes test")
        var expected: [(String?, ChangelogItem)] = []
        for stored in try await catalog.entries() {
            for item in try await catalog.changelog(named: stored.entry.name) where item.action == "digest.seen" {
                expected.append((stored.entry.name, item))
            }
        }
        var shown: [(String?, ChangelogItem)] = []
        var page = 1
        while true {
            let (items, more) = try await catalog.changes(page: page, perPage: 7)
            #expect(items.count <= 7)
            shown += items
            guard more else { break }
            page += 1
        }
        #expect(page > 2)
        // Tag runs: the same runs with the same diff summaries, newest first.
        let runs = shown.filter { $0.1.action == "digest.seen" }
        let expectedRuns = expected.filter { $0.1.action == "digest.seen" }.sorted { $0.1.at > $1.1.at }
        #expect(runs.count == expectedRuns.count, "\(runs.map { "\($0.0 ?? "") \($0.1.tag ?? "") \($0.1.at)" }) vs \(expectedRuns.map { "\($0.0 ?? "") \($0.1.tag ?? "") \($0.1.at)" })")
        #expect(Set(runs.map { "\($0.0 ?? "") \($0.1.tag ?? "") \($0.1.digest?.description ?? "") \($0.1.summary ?? "-")" })
            == Set(expectedRuns.map { "\($0.0 ?? "") \($0.1.tag ?? "") \($0.1.digest?.description ?? "") \($0.1.summary ?? "-")" }))
        #expect(shown.map(\.1.at) == shown.map(\.1.at).sorted(by: >))
        // The audited changes: the revocation and its lifting, once each, and no token events.
        let actions = shown.map(\.1.action)
        #expect(actions.filter { $0 == "digest.revoke" }.count == 1)
        #expect(actions.filter { $0 == "digest.unrevoke" }.count == 1)
        #expect(!actions.contains { $0.hasPrefix("token.") })
        _ = database
    }
}
