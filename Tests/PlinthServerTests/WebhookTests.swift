import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PlinthCatalog
import PlinthCore
import PlinthStore
import PlinthTestSupport
import Synchronization
import Testing

@testable import PlinthServer

/// Webhook delivery to a real receiver on 127.0.0.1: every event, in order, signed; held while
/// the receiver is down and delivered when it comes back.
@Suite("Webhooks")
struct WebhookTests {
    static let secret = "webhook-test-secret-0123456789"

    /// What a receiver got: the event id header, the action header, the body, and whether the
    /// signature checked out.
    struct Received: Sendable {
        var path: String
        var delivery: Int64
        var action: String
        var body: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] }
        var bytes: [UInt8]
        var signatureValid: Bool
    }

    /// A receiver that checks each signature as a user's would.
    final class Receiver: Sendable {
        let received = Mutex<[Received]>([])

        func run(port: Int, until done: @Sendable () async throws -> Void) async throws {
            let router = Router()
            router.post("/**") { request, _ -> HTTPResponse.Status in
                let body = try await request.body.collect(upTo: 1 << 20)
                let bytes = Array(body.readableBytesView)
                let expected = "sha256=" + HMAC<SHA256>.authenticationCode(for: bytes, using: SymmetricKey(data: Data(WebhookTests.secret.utf8)))
                    .map { String(format: "%02x", $0) }.joined()
                let signature = request.headers[HTTPField.Name("X-Plinth-Signature")!]
                self.received.withLock {
                    $0.append(
                        Received(
                            path: request.uri.path, delivery: Int64(request.headers[HTTPField.Name("X-Plinth-Delivery")!] ?? "") ?? -1,
                            action: request.headers[HTTPField.Name("X-Plinth-Event")!] ?? "", bytes: bytes, signatureValid: signature == expected))
                }
                return .noContent
            }
            var logger = Logger(label: "receiver")
            logger.logLevel = .critical
            let running = Mutex(false)
            let app = Application(
                router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), onServerRunning: { _ in running.withLock { $0 = true } },
                logger: logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await app.runService() }
                while !running.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
                try await done()
                group.cancelAll()
            }
        }
    }

    static func freePort() async throws -> Int {
        let (ok, output) = try await TestRegistries.run(
            "python3", ["-c", "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"])
        guard ok, let port = Int(output.trimmingCharacters(in: .whitespacesAndNewlines)) else { throw TestRegistries.StartError(description: output) }
        return port
    }

    /// Waits up to `seconds` for `condition`.
    static func eventually(_ seconds: Double = 10, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try await condition()
    }

    @Test func everyEventArrivesInOrderSignedAndNoneIsLostWhileTheReceiverIsDown() async throws {
        let (database, catalog) = try await TestDatabase.seeded()
        let store = database.store
        let port = try await Self.freePort()
        let base = URL(string: "http://127.0.0.1:\(port)")!
        let webhooks = [
            Webhook(name: "all", url: base.appendingPathComponent("all"), secret: Self.secret),
            Webhook(name: "revocations", url: base.appendingPathComponent("revocations"), events: ["digest.revoke"], secret: Self.secret),
        ]
        // Deliveries start after the events that exist when a webhook is first configured.
        let start = try await store.startWebhook("all")
        #expect(try await store.startWebhook("revocations") == start)
        var logger = Logger(label: "webhooks")
        logger.logLevel = .critical
        let dispatcher = WebhookDispatcher(
            store: store, webhooks: webhooks, pollInterval: .milliseconds(20), initialBackoff: .milliseconds(50), maxBackoff: .milliseconds(200),
            timeout: .seconds(2), logger: logger)
        let receiver = Receiver()

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await dispatcher.run() }
            // Changes while nothing listens on the receiver's port.
            try await catalog.revoke(try Digest(parsing: Fixtures.bookwormSlimIndex), actor: "token:alice", reason: "CVE-2026-0001")
            try await catalog.hold(
                image: "debian-trixie-slim", tag: "trixie-slim", at: try await store.history(of: "debian-trixie-slim")[0].digest, actor: "token:alice",
                reason: "rollback")
            _ = try await catalog.createToken(name: "ci", role: .reader, expires: nil, actor: "local:admin")
            let down = try await store.auditEvents(after: start, limit: 100)
            #expect(down.count == 3)
            // The dispatcher keeps trying the first event, and records each failure.
            #expect(try await Self.eventually { try await store.deliveries(of: "all").filter { $0.error != nil }.count >= 3 })
            #expect(try await store.webhookCursor("all") == start)

            try await receiver.run(port: port) {
                #expect(try await Self.eventually { receiver.received.withLock { $0.count } >= 4 })
                // Changes while it listens arrive too, after the others.
                try await catalog.release(image: "debian-trixie-slim", tag: "trixie-slim", actor: "token:bob", reason: "fixed")
                try await catalog.revoke(try Digest(parsing: Fixtures.bookwormSlimEarlierIndex), actor: "token:bob", reason: "old")
                #expect(try await Self.eventually { receiver.received.withLock { $0.count } >= 7 })
                try await Task.sleep(for: .milliseconds(200))  // nothing more, no repeats
            }
            group.cancelAll()
        }

        let events = try await store.auditEvents(after: start, limit: 100)
        let received = receiver.received.withLock { $0 }
        let all = received.filter { $0.path == "/all" }
        let revocations = received.filter { $0.path == "/revocations" }
        #expect(all.map(\.delivery) == events.compactMap(\.id))
        #expect(all.map(\.action) == events.map(\.action))
        #expect(revocations.map(\.delivery) == events.filter { $0.action == "digest.revoke" }.compactMap(\.id))
        #expect(received.allSatisfy { $0.signatureValid })
        // The body is the event, hash chain included.
        let first = try #require(all.first?.body)
        #expect(first["action"] as? String == "digest.revoke")
        #expect(first["reason"] as? String == "CVE-2026-0001")
        #expect(first["hash"] as? String == events.first?.hash)
        #expect(try await store.webhookCursor("all") == events.last?.id)
        // Every attempt is on record: failures while down, then one success per event.
        let deliveries = try await store.deliveries(of: "all")
        #expect(deliveries.filter { $0.status == 204 }.map(\.eventID) == events.compactMap(\.id))
        #expect(deliveries.first?.error != nil)
    }

    @Test func aWebhooksFileIsCheckedBeforeTheServerStarts() throws {
        let file = """
            webhooks:
              - {name: chat, url: "https://hooks.example/plinth", events: [digest.revoke], secret_env: HOOK_SECRET}
            """
        let hooks = try Webhook.load(file, file: "hooks.yaml", environment: ["HOOK_SECRET": Self.secret])
        #expect(hooks.map(\.name) == ["chat"])
        #expect(hooks.first?.wants("digest.revoke") == true)
        #expect(hooks.first?.wants("digest.approve") == false)
        #expect(throws: Webhook.ConfigurationError.self) { try Webhook.load(file, file: "hooks.yaml", environment: [:]) }
        let badURL = file.replacingOccurrences(of: "https://hooks.example/plinth", with: "ftp://x")
        #expect(throws: Webhook.ConfigurationError.self) { try Webhook.load(badURL, file: "hooks.yaml", environment: ["HOOK_SECRET": Self.secret]) }
    }
}
