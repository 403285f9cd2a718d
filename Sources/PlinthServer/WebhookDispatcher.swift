import AsyncHTTPClient
import Crypto
import PlinthCatalog
public import Foundation
public import Logging
import Metrics
import NIOCore
public import PlinthStore
public import ServiceLifecycle

/// Delivers audit events to webhooks, as a service beside the server. Each webhook gets every
/// event it subscribes to, in order, one at a time: an event's delivery is retried with capped
/// exponential backoff until the receiver answers 2xx, and only then does the webhook's cursor
/// (kept in the store) move on. So a receiver that is down delays its own events and loses
/// none, and requests never wait for a receiver. Every attempt's outcome is recorded.
///
/// Each body is the event as JSON, signed with HMAC-SHA256 of the body under the webhook's
/// secret: `X-Plinth-Signature: sha256=<hex>`; `X-Plinth-Event` names the action and
/// `X-Plinth-Delivery` the event id (receivers use it to drop a repeat after a lost answer).
public struct WebhookDispatcher: Service {
    let store: any CatalogStore
    let webhooks: [Webhook]
    let pollInterval: Duration
    let initialBackoff: Duration
    let maxBackoff: Duration
    let timeout: Duration
    let logger: Logger

    public init(
        store: any CatalogStore, webhooks: [Webhook], pollInterval: Duration = .seconds(1), initialBackoff: Duration = .seconds(1),
        maxBackoff: Duration = .seconds(300), timeout: Duration = .seconds(10), logger: Logger
    ) {
        self.store = store
        self.webhooks = webhooks
        self.pollInterval = pollInterval
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.timeout = timeout
        self.logger = logger
    }

    public func run() async throws {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5)))
        configuration.connectionPool.retryConnectionEstablishment = false
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        await withTaskGroup(of: Void.self) { group in
            for webhook in webhooks {
                group.addTask { await cancelWhenGracefulShutdown { await self.deliverExclusively(to: webhook, http: http) } }
            }
        }
        try await http.shutdown()
    }

    /// Delivers to a webhook from one replica at a time: the one holding the webhook's job
    /// lock; the others try again every poll interval (and take over when it dies).
    func deliverExclusively(to webhook: Webhook, http: HTTPClient) async {
        while !Task.isCancelled {
            do {
                _ = try await store.exclusively("webhook:\(webhook.name)") { await self.deliver(to: webhook, http: http) }
            } catch {
                logger.error("webhook delivery could not take its lock", metadata: ["webhook": "\(webhook.name)", "error": "\(error)"])
            }
            try? await Task.sleep(for: pollInterval)
        }
    }

    /// The delivery loop of one webhook, until cancelled.
    func deliver(to webhook: Webhook, http: HTTPClient) async {
        var cursor: Int64?
        while !Task.isCancelled {
            do {
                if cursor == nil { cursor = try await store.startWebhook(webhook.name) }
                Gauge(label: "plinth_webhook_backlog_events", dimensions: [("webhook", webhook.name)])
                    .record(try await store.auditEventCount(after: cursor!))
                let events = try await store.auditEvents(after: cursor!, limit: 100)
                for event in events {
                    guard let id = event.id else { continue }
                    if webhook.wants(event.action) {
                        try await deliver(event, id: id, to: webhook, http: http)
                    } else {
                        try await store.recordDelivery(nil, webhook: webhook.name, advanceTo: id)
                    }
                    cursor = id
                }
                if events.isEmpty { try await Task.sleep(for: pollInterval) }
            } catch is CancellationError {
                return
            } catch {
                logger.error("webhook delivery loop failed", metadata: ["webhook": "\(webhook.name)", "error": "\(error)"])
                try? await Task.sleep(for: pollInterval)
            }
        }
    }

    /// Delivers one event, retrying until the receiver takes it (or the service stops).
    func deliver(_ event: AuditEvent, id: Int64, to webhook: Webhook, http: HTTPClient) async throws {
        let body = Self.body(of: event)
        var attempt = 0
        while true {
            try Task.checkCancellation()
            attempt += 1
            var request = HTTPClientRequest(url: webhook.url.absoluteString)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "User-Agent", value: "plinth-webhook/0.1")
            request.headers.add(name: "X-Plinth-Event", value: event.action)
            request.headers.add(name: "X-Plinth-Delivery", value: String(id))
            request.headers.add(name: "X-Plinth-Signature", value: "sha256=" + Self.signature(of: body, secret: webhook.secret))
            request.body = .bytes(ByteBuffer(bytes: body))
            var status: Int?
            var failure: String?
            do {
                let response = try await http.execute(request, deadline: .now() + .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000), logger: nil)
                status = Int(response.status.code)
                _ = try? await response.body.collect(upTo: 64 << 10)
                if !(200..<300).contains(Int(response.status.code)) { failure = "the receiver answered HTTP \(response.status.code)" }
            } catch {
                failure = "\(error)"
            }
            let delivered = failure == nil
            try await store.recordDelivery(
                DeliveryAttempt(webhook: webhook.name, eventID: id, attempt: attempt, at: Date(), status: status, error: failure), webhook: webhook.name,
                advanceTo: delivered ? id : nil)
            if delivered { return }
            Counter(label: "plinth_webhook_deliveries_failed_total", dimensions: [("webhook", webhook.name)]).increment()
            let delay = backoff(attempt: attempt)
            logger.warning(
                "webhook delivery failed; will retry",
                metadata: ["webhook": "\(webhook.name)", "event": "\(id)", "attempt": "\(attempt)", "error": "\(failure ?? "")", "retry_in": "\(delay)"])
            try await Task.sleep(for: delay)
        }
    }

    func backoff(attempt: Int) -> Duration {
        let doubled = initialBackoff * (1 << min(attempt - 1, 20))
        let cap = min(maxBackoff, doubled)
        // Jitter within the upper half, so retries never bunch up at zero.
        return cap / 2 + cap / 2 * Double.random(in: 0...1)
    }

    /// The event as its receivers get it.
    static func body(of event: AuditEvent) -> [UInt8] {
        func parsed(_ json: String?) -> Any { json.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } ?? NSNull() }
        let object: [String: Any] = [
            "id": event.id ?? 0, "at": RFC3339.format(event.at), "actor": event.actor, "action": event.action, "subject": event.subject,
            "image": event.image ?? NSNull(), "reason": event.reason ?? NSNull(), "before": parsed(event.before), "after": parsed(event.after),
            "hash": event.hash ?? NSNull(), "prev_hash": event.previousHash ?? NSNull(),
        ]
        return Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8))
    }

    /// HMAC-SHA256 of the body under the secret, hex.
    public static func signature(of body: [UInt8], secret: String) -> String {
        HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8))).map { String(format: "%02x", $0) }.joined()
    }
}
