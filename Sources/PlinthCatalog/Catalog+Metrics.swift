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
    /// How long scraped gauges are kept while nothing changes: reviews fall due by the clock.
    static let gaugesKept: TimeInterval = 5

    /// The gauges, read again after a change to any entry or digest and at most every few
    /// seconds otherwise, so that scrapes by several Prometheus servers cost one read of a
    /// large catalog.
    public func gauges() async throws -> CatalogGauges {
        let generation = try await currentGeneration()
        let moment = now()
        if let kept = cache.gauges.value(for: .init(), generation: generation, now: moment) { return kept }
        let gauges = try await readGauges()
        cache.gauges.store(
            gauges, for: .init(), generation: generation, validUntil: moment.addingTimeInterval(Self.gaugesKept),
            dependencies: .init(everyEntry: true, everyDigest: true))
        return gauges
    }

    func readGauges() async throws -> CatalogGauges {
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
