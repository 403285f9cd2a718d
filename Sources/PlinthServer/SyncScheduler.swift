public import Logging
public import PlinthCatalog
public import ServiceLifecycle

/// Runs the sync pass at start and then once every `interval`, until graceful shutdown, once
/// across every replica on the store: it wakes every quarter interval (at least 250 ms, at most
/// 30 s) and runs the pass if it is due and no replica runs it, or finishes a pass a dead replica
/// began (`Catalog.scheduledSync`). A pass in progress at shutdown is cancelled (each tag's
/// record is its own transaction, so nothing is left half-written; another replica finishes it).
public struct SyncScheduler: Service {
    let runner: SyncRunner
    let interval: Duration
    let logger: Logger

    public init(runner: SyncRunner, interval: Duration, logger: Logger) {
        self.runner = runner
        self.interval = interval
        self.logger = logger
    }

    var wake: Duration { min(max(interval / 4, .milliseconds(250)), .seconds(30)) }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let started = ContinuousClock.now
                do {
                    if case .ran(let outcomes, let resumed) = try await runner.runScheduled(every: interval, logger: logger) {
                        let failed = outcomes.filter(\.failed)
                        let registries = Set(failed.map { $0.repository.split(separator: "/").first.map(String.init) ?? $0.repository })
                        logger.info(
                            resumed ? "sync pass finished (resumed)" : "sync pass finished",
                            metadata: [
                                "tags": "\(outcomes.count)", "failed": "\(failed.count)", "seconds": "\((ContinuousClock.now - started).components.seconds)",
                                "unreachable_registries": "\(registries.sorted().joined(separator: ","))",
                            ])
                    }
                } catch is CancellationError {
                    return
                } catch let busy as SyncRunner.Busy {
                    logger.info("sync pass skipped", metadata: ["reason": "\(busy)"])
                } catch {
                    logger.error("sync pass failed", metadata: ["error": "\(error)"])
                }
                // Cancelled while waiting: graceful shutdown, not a failure of the service.
                do { try await Task.sleep(for: wake) } catch { return }
            }
        }
    }
}
