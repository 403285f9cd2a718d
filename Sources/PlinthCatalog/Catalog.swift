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

    public init(store: any CatalogStore, now: @escaping @Sendable () -> Date = Date.init) {
        self.store = store
        self.now = now
        self.cache = VerdictCache()
    }
}
