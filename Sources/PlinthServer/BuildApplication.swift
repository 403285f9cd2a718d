public import Foundation
public import Hummingbird
public import Logging
public import PlinthCatalog
public import PlinthCore
public import PlinthRegistry
public import PlinthStore
public import Prometheus
import ServiceLifecycle

/// What `plinth serve` is made of: where the catalog is kept, what seeds it, where the server
/// listens, and the jobs that run beside it.
public struct PlinthConfiguration: Sendable {
    public var store: StoreLocation
    /// Loaded into the store when it has no entries; nil leaves an empty store empty.
    public var seed: CatalogSource?
    /// Says where the seed came from, for the log line.
    public var seedName: String
    public var server: ServerSettings
    /// The registry client sync uses (`POST /v1/sync` and the schedule); nil turns sync off.
    public var registry: RegistryClient?
    public var registryConcurrency: Int
    /// Time between scheduled sync passes; zero runs none (`POST /v1/sync` still works).
    public var syncInterval: Duration
    public var webhooks: [Webhook]
    /// Time between checks for overdue reviews (each records `review.due` events); zero runs none.
    public var reviewInterval: Duration
    public var metrics: PrometheusCollectorRegistry
    public var logger: Logger
    /// The clock the catalog judges by.
    public var now: @Sendable () -> Date
    /// What keyless signatures are verified against.
    public var trustedRoot: SigstoreTrustedRoot?

    public init(
        store: StoreLocation, seed: CatalogSource? = .embedded, seedName: String = "built-in seed-data", server: ServerSettings = ServerSettings(),
        registry: RegistryClient? = nil, registryConcurrency: Int = 8, syncInterval: Duration = .zero, webhooks: [Webhook] = [],
        reviewInterval: Duration = .seconds(86_400),
        metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), logger: Logger = Logger(label: "plinth"),
        now: @escaping @Sendable () -> Date = Date.init, trustedRoot: SigstoreTrustedRoot? = try? .publicGood()
    ) {
        self.trustedRoot = trustedRoot
        self.store = store
        self.seed = seed
        self.seedName = seedName
        self.server = server
        self.registry = registry
        self.registryConcurrency = registryConcurrency
        self.syncInterval = syncInterval
        self.webhooks = webhooks
        self.reviewInterval = reviewInterval
        self.metrics = metrics
        self.logger = logger
        self.now = now
    }
}

extension PlinthApplication {
    /// The composition root: opens (and migrates) the store, seeds an empty one, and builds
    /// the server with sync and webhook delivery as its services. `plinth serve` runs what it
    /// returns; the tests build their servers here too.
    public static func build(_ configuration: PlinthConfiguration) async throws -> (application: some ApplicationProtocol, catalog: Catalog) {
        let logger = configuration.logger
        let catalog = Catalog(store: try await Stores.open(configuration.store, logger: logger), now: configuration.now, trustedRoot: configuration.trustedRoot)
        if let seed = configuration.seed, try await catalog.store.entries().isEmpty {
            let report = try await catalog.apply(seed)
            logger.info(
                "seeded empty catalog",
                metadata: [
                    "from": "\(configuration.seedName)", "entries": "\(report.created.count)", "observations": "\(report.newObservations)",
                    "db": "\(configuration.store)",
                ])
        }
        let runner = configuration.registry.map { SyncRunner(catalog: catalog, client: $0, concurrency: configuration.registryConcurrency) }
        var application = try make(catalog: catalog, settings: configuration.server, metrics: configuration.metrics, sync: runner, logger: logger)
        if let runner, configuration.syncInterval > .zero {
            application.addServices(SyncScheduler(runner: runner, interval: configuration.syncInterval, logger: logger))
        }
        if configuration.reviewInterval > .zero {
            application.addServices(ReviewScheduler(catalog: catalog, interval: configuration.reviewInterval, logger: logger))
        }
        if !configuration.webhooks.isEmpty {
            application.addServices(WebhookDispatcher(store: catalog.store, webhooks: configuration.webhooks, logger: logger))
            logger.info("delivering audit events to webhooks", metadata: ["webhooks": "\(configuration.webhooks.map(\.name).joined(separator: ","))"])
        }
        return (application, catalog)
    }
}
