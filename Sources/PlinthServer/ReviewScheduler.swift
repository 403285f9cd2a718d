public import Logging
public import PlinthCatalog
public import ServiceLifecycle

/// The review reminder: once every `interval` (a day by default) across every replica on the
/// store, records a `review.due` audit event for each entry whose review is overdue, which the
/// webhooks deliver (`Catalog.announceDueReviews`). It wakes every `wake` to see whether the
/// run is due, so a replica that starts after a restart picks the schedule up where it was.
public struct ReviewScheduler: Service {
    let catalog: Catalog
    let interval: Duration
    let wake: Duration
    let logger: Logger

    public init(catalog: Catalog, interval: Duration, wake: Duration? = nil, logger: Logger) {
        self.catalog = catalog
        self.interval = interval
        self.wake = wake ?? min(max(interval / 24, .milliseconds(250)), .seconds(300))
        self.logger = logger
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    if let due = try await catalog.announceDueReviews(every: interval), !due.isEmpty {
                        logger.info("reviews overdue", metadata: ["entries": "\(due.map(\.image).joined(separator: ","))"])
                    }
                } catch is CancellationError {
                    return
                } catch {
                    logger.error("review reminder failed", metadata: ["error": "\(error)"])
                }
                // Cancelled while waiting: graceful shutdown, not a failure of the service.
                do { try await Task.sleep(for: wake) } catch { return }
            }
        }
    }
}
