public import Logging
public import PlinthCatalog
public import ServiceLifecycle

/// Runs a sync pass at start and then every `interval`, until graceful shutdown; a pass in
/// progress at shutdown is cancelled (each tag's record is its own transaction, so nothing is
/// left half-written).
public struct SyncScheduler: Service {
    let runner: SyncRunner
    let interval: Duration
    let logger: Logger

    public init(runner: SyncRunner, interval: Duration, logger: Logger) {
        self.runner = runner
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let started = ContinuousClock.now
                do {
                    let outcomes = try await runner.run(logger: logger)
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
                } catch let busy as SyncRunner.Busy {
                    logger.info("sync pass skipped", metadata: ["reason": "\(busy)"])
                } catch {
                    logger.error("sync pass failed", metadata: ["error": "\(error)"])
                }
                try await Task.sleep(for: interval)
            }
        }
    }
}
