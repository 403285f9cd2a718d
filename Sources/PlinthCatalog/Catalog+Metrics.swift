import Foundation
import PlinthCore
import PlinthStore

/// What a platform owner alerts on that is read from the store when `/metrics` is scraped
/// (the counters of passes, tags, cache and deliveries are kept as they happen).
public struct CatalogGauges: Sendable {
    /// Per entry (not retired, with every tag synced at least once): the oldest of its tags'
    /// last successful syncs, so one stale tag makes the entry stale.
    public var lastSyncSuccess: [String: Date]
    public var pendingReview: Int
    public var advisories: Int
    public var newestAdvisoryModified: Date?
    public var reviewsOverdue: Int
}

extension Catalog {
    public func gauges() async throws -> CatalogGauges {
        let entries = try await store.entries().map(\.entry).filter { $0.status != .retired }
        let records = try await store.records(of: entries.map(\.name), collapsingRuns: true)
        var lastSuccess: [String: Date] = [:]
        for entry in entries {
            let states = records[entry.name]?.syncStates ?? []
            let successes = entry.tags.map { tag in states.first { $0.tag == tag }?.lastSuccessAt }
            if !successes.isEmpty, successes.allSatisfy({ $0 != nil }), let oldest = successes.compactMap({ $0 }).min() { lastSuccess[entry.name] = oldest }
        }
        return CatalogGauges(
            lastSyncSuccess: lastSuccess, pendingReview: try await reviewQueue().count, advisories: try await store.advisoryCount(),
            newestAdvisoryModified: try await store.newestAdvisoryModified(), reviewsOverdue: try await reviews(overdueOnly: true).count)
    }
}
