import Logging
import PlinthRegistry

/// Runs sync passes one at a time: the scheduler and `POST /v1/sync` share one, so two
/// passes never race over the same tags.
public actor SyncRunner {
    public struct Busy: Error, CustomStringConvertible {
        public var description: String { "a sync pass is already running; try again when it ends" }
    }

    let catalog: Catalog
    /// The registry client passes use (also for reading images the API is asked about).
    public nonisolated let client: RegistryClient
    let concurrency: Int
    var running = false

    public init(catalog: Catalog, client: RegistryClient, concurrency: Int) {
        self.catalog = catalog
        self.client = client
        self.concurrency = concurrency
    }

    /// Shuts the registry client down (for owners that created it just for this runner).
    public func shutdownClient() async throws {
        try await client.shutdown()
    }

    /// One pass (of every entry, or of `image`); throws `Busy` if one is running.
    /// The periodic pass, once per interval across replicas (`Catalog.scheduledSync`).
    public func runScheduled(every interval: Duration, logger: Logger) async throws -> ScheduledSync {
        guard !running else { throw Busy() }
        running = true
        defer { running = false }
        return try await catalog.scheduledSync(using: client, every: interval, concurrency: concurrency, logger: logger)
    }

    public func run(image: String? = nil, logger: Logger) async throws -> [TagSyncOutcome] {
        guard !running else { throw Busy() }
        running = true
        defer { running = false }
        return try await catalog.sync(using: client, image: image, concurrency: concurrency, logger: logger)
    }
}
