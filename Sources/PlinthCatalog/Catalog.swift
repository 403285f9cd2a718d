import Foundation
import Logging
import PlinthCore
import PlinthStore

/// Plinth's use cases over a store: apply, lookup, check, browse. Knows no HTTP server.
public struct Catalog: Sendable {
    public let store: any CatalogStore
    let cache: VerdictCache
    /// The clock, injectable so that tests can stand at a chosen time.
    public let now: @Sendable () -> Date
    /// What keyless signatures are verified against: Sigstore's public-good root unless
    /// `--trusted-root` names another.
    public let trustedRoot: SigstoreTrustedRoot?

    public init(store: any CatalogStore, now: @escaping @Sendable () -> Date = Date.init, trustedRoot: SigstoreTrustedRoot? = try? .publicGood()) {
        self.store = store
        self.now = now
        self.trustedRoot = trustedRoot
        self.cache = VerdictCache()
    }
}

extension Catalog {
    /// Every entry, by name (retired ones included), kept until an entry's document changes
    /// (a curator's decision or a sync leaves it). Once stale, the entries are decoded again
    /// only if the store's entries version moved.
    public func entries() async throws -> [StoredEntry] {
        try await cache.entries.value(generation: try await currentGeneration(), dependencies: .documents) {
            let version = try await store.entriesVersion()
            if let kept = cache.entries.last, kept.version == version { return kept }
            let entries = try await store.entries()
            return (version, entries, Facets(entries.map(\.entry)))
        }.entries
    }

    /// The values the catalog's filters can take: every workload, platform and OS family some entry lists.
    public func facets() async throws -> Facets {
        _ = try await entries()
        return cache.entries.last?.facets ?? Facets([])
    }
}

/// The values the catalog's filters can take.
public struct Facets: Sendable, Hashable {
    public var workloads: [String]
    public var platforms: [String]
    public var families: [String]

    init(_ entries: [CatalogEntry]) {
        workloads = Set(entries.flatMap { $0.workloads.map(\.workload) }).sorted()
        platforms = Set(entries.flatMap { $0.platforms.map(\.description) }).sorted()
        families = Set(entries.map(\.os.family)).sorted()
    }
}
