import Logging
import Metrics
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
        let started = ContinuousClock.now
        let outcome = try await catalog.scheduledSync(using: client, every: interval, concurrency: concurrency, logger: logger)
        if case .ran(let outcomes, _) = outcome { Self.record(outcomes, took: ContinuousClock.now - started) }
        return outcome
    }

    public func run(image: String? = nil, logger: Logger) async throws -> [TagSyncOutcome] {
        guard !running else { throw Busy() }
        running = true
        defer { running = false }
        let started = ContinuousClock.now
        let outcomes = try await catalog.sync(using: client, images: image.map { [$0] } ?? [], concurrency: concurrency, logger: logger)
        Self.record(outcomes, took: ContinuousClock.now - started)
        return outcomes
    }

    /// A pass in the metrics: `plinth_sync_passes_total`, its duration, and each tag's result
    /// by registry (`plinth_sync_tags_total{registry,result}`).
    static func record(_ outcomes: [TagSyncOutcome], took duration: Duration) {
        Counter(label: "plinth_sync_passes_total").increment()
        Timer(label: "plinth_sync_pass_duration_seconds").recordNanoseconds(
            duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
        var counts: [[String]: Int] = [:]
        for outcome in outcomes {
            let registry = outcome.repository.split(separator: "/", maxSplits: 1).first.map(String.init) ?? outcome.repository
            let result: String
            switch outcome.result {
            case .unchanged: result = "unchanged"
            case .moved: result = "moved"
            case .failed: result = "failed"
            }
            counts[[registry, result], default: 0] += 1
        }
        for (key, count) in counts {
            Counter(label: "plinth_sync_tags_total", dimensions: [("registry", key[0]), ("result", key[1])]).increment(by: count)
        }
    }
}
