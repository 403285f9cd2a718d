public import Logging
public import PlinthCatalog
public import PlinthRegistry
public import ServiceLifecycle

/// Runs a sync pass at start and then every `interval`, until graceful shutdown; a pass in
/// progress at shutdown is cancelled (each tag's record is its own transaction, so nothing is
/// left half-written).
public struct SyncScheduler: Service {
    let catalog: Catalog
    let client: RegistryClient
    let interval: Duration
    let concurrency: Int
    let logger: Logger

    public init(catalog: Catalog, client: RegistryClient, interval: Duration, concurrency: Int, logger: Logger) {
        self.catalog = catalog
        self.client = client
        self.interval = interval
        self.concurrency = concurrency
        self.logger = logger
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let started = ContinuousClock.now
                do {
                    let outcomes = try await catalog.sync(using: client, concurrency: concurrency, logger: logger)
                    let failed = outcomes.filter(\.failed)
                    let registries = Set(failed.map { $0.repository.split(separator: "/").first.map(String.init) ?? $0.repository })
                    logger.info(
                        "sync pass finished",
                        metadata: [
                            "tags": "\(outcomes.count)", "failed": "\(failed.count)", "seconds": "\((ContinuousClock.now - started).components.seconds)",
                            "unreachable_registries": "\(registries.sorted().joined(separator: ","))",
                        ])
                } catch is CancellationError {
                    return
                } catch {
                    logger.error("sync pass failed", metadata: ["error": "\(error)"])
                }
                try await Task.sleep(for: interval)
            }
        }
    }
}
