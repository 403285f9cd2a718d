import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import PlinthCatalog
import PlinthCore
import PlinthStore
import PlinthTestSupport
import Prometheus
import Synchronization
import Testing

@testable import PlinthServer

/// Review cadence: an entry that says `review: {every: 30d}` falls due 30 days after its last
/// review; a curator records one through the API or the review page (audited as
/// `image.review`), and the daily check records a `review.due` event that webhooks deliver.
@Suite("Review cadence", .serialized)
struct ReviewCadenceTests {
    /// A clock the test moves.
    final class Clock: Sendable {
        let moment = Mutex(Date())
        func advance(days: Double) { moment.withLock { $0 = $0.addingTimeInterval(days * 86_400) } }
        var now: @Sendable () -> Date { { self.moment.withLock { $0 } } }
    }

    static let entry = #"""
        {"name":"reviewed-base","title":"Reviewed","repository":"registry.example/reviewed","tags":["1"],"status":"approved",
         "os":{"family":"debian","version":"12"},"platforms":["linux/amd64"],"workloads":[],"owner":"tests","rationale":"Reviewed monthly.",
         "approval":{"policy":"manual","grace_days":7},"review":{"every":"30d"}}
        """#

    static func send(_ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ path: String, token: String?, body: String? = nil)
        async throws -> (HTTPResponse.Status, [String: Any])
    {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        if body != nil { headers[.contentType] = "application/json" }
        let response = try await client.execute(uri: path, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
        return (response.status, (try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]) ?? [:])
    }

    static func due(_ client: any TestClientProtocol) async throws -> [[String: Any]] {
        let (status, body) = try await send(client, .get, "/v1/reviews/due", token: nil)
        #expect(status == .ok)
        return body["reviews"] as? [[String: Any]] ?? []
    }

    /// The value of `name="csrf"` in a page's first form.
    static func csrf(in html: String) -> String? {
        guard let range = html.range(of: #"name="csrf" value=""#) else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }

    static func cookie(_ name: String, in headers: HTTPFields) -> String? {
        for value in headers[values: .setCookie] where value.hasPrefix("\(name)=") {
            return String(value.dropFirst(name.count + 1).prefix { $0 != ";" })
        }
        return nil
    }

    @Test func aReviewIsRecordedFallsDueAndIsAnnouncedThroughTheAPIThePageAndTheWebhook() async throws {
        let database = try await TestDatabase()
        let clock = Clock()
        let catalog = Catalog(store: database.store, now: clock.now)
        let curator = try await catalog.createToken(name: "alice", role: .curator, expires: nil, actor: "setup").0.description
        let reader = try await catalog.createToken(name: "bot", role: .reader, expires: nil, actor: "setup").0.description
        let app = Application(router: try PlinthApplication.router(catalog: catalog, metrics: PrometheusCollectorRegistry()))
        try await app.test(.router) { client in
            #expect(try await Self.send(client, .post, "/v1/images", token: curator, body: Self.entry).0 == .created)
            let (_, image) = try await Self.send(client, .get, "/v1/images/reviewed-base", token: nil)
            #expect((image["review"] as? [String: Any])?["every"] as? String == "30d")
            #expect(try await Self.due(client).isEmpty, "a new entry is not due")

            // Refusals change nothing: no token, a reader's, an empty note, an unknown entry.
            #expect(try await Self.send(client, .post, "/v1/images/reviewed-base/review", token: nil, body: #"{"note":"x"}"#).0 == .unauthorized)
            #expect(try await Self.send(client, .post, "/v1/images/reviewed-base/review", token: reader, body: #"{"note":"x"}"#).0 == .forbidden)
            #expect(try await Self.send(client, .post, "/v1/images/reviewed-base/review", token: curator, body: #"{"note":"  "}"#).0 == .badRequest)
            #expect(try await Self.send(client, .post, "/v1/images/nothing-here/review", token: curator, body: #"{"note":"x"}"#).0 == .notFound)
            #expect(try await database.store.auditEvents(AuditFilter(action: Catalog.reviewAction), limit: 10).isEmpty)

            clock.advance(days: 20)
            let (status, recorded) = try await Self.send(
                client, .post, "/v1/images/reviewed-base/review", token: curator, body: #"{"note":"Checked the successor plan and the advisories."}"#)
            #expect(status == .created)
            #expect(recorded["by"] as? String == "token:alice")
            let standing = try #require(recorded["status"] as? [String: Any])
            #expect(standing["overdue"] as? Bool == false)
            #expect(standing["due_at"] as? String == RFC3339.format(clock.now().addingTimeInterval(30 * 86_400)))
            let audit = try await database.store.auditEvents(AuditFilter(action: Catalog.reviewAction), limit: 10)
            #expect(audit.map(\.subject) == ["reviewed-base"] && audit.first?.reason == "Checked the successor plan and the advisories.")

            // 29 days on it is not due; 31 days on it is, naming the last review.
            clock.advance(days: 29)
            #expect(try await Self.due(client).isEmpty)
            clock.advance(days: 2)
            let overdue = try await Self.due(client)
            #expect(overdue.map { $0["image"] as? String } == ["reviewed-base"])
            #expect((overdue.first?["last_review"] as? [String: Any])?["note"] as? String == "Checked the successor plan and the advisories.")

            // The daily check records review.due once a day, and a webhook delivers it.
            let port = try await WebhookTests.freePort()
            let start = try await database.store.startWebhook("reviews")
            var logger = Logger(label: "reviews")
            logger.logLevel = .critical
            let dispatcher = WebhookDispatcher(
                store: database.store,
                webhooks: [Webhook(name: "reviews", url: URL(string: "http://127.0.0.1:\(port)/hook")!, events: ["review.due"], secret: WebhookTests.secret)],
                pollInterval: .milliseconds(20), initialBackoff: .milliseconds(50), maxBackoff: .milliseconds(200), timeout: .seconds(2), logger: logger)
            let scheduler = ReviewScheduler(catalog: catalog, interval: .seconds(86_400), wake: .milliseconds(20), logger: logger)
            let receiver = WebhookTests.Receiver()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await dispatcher.run() }
                group.addTask { try await scheduler.run() }
                try await receiver.run(port: port) {
                    #expect(try await WebhookTests.eventually { receiver.received.withLock { $0.count } >= 1 })
                    try await Task.sleep(for: .milliseconds(300))  // once a day: no repeat within it
                }
                group.cancelAll()
            }
            let received = receiver.received.withLock { $0 }
            #expect(received.count == 1 && received.first?.action == "review.due" && received.first?.signatureValid == true)
            #expect(received.first?.body?["subject"] as? String == "reviewed-base")
            #expect(try await database.store.auditEvents(after: start, limit: 10).map(\.action) == ["review.due"])

            // The review page lists it; recording a review there (CSRF-checked) clears it.
            let form = try await client.execute(uri: "/signin", method: .get)
            let signInCSRF = try #require(Self.cookie("plinth_signin", in: form.headers))
            let signedIn = try await client.execute(
                uri: "/signin", method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "plinth_signin=\(signInCSRF)"],
                body: ByteBuffer(string: "token=\(curator)&csrf=\(signInCSRF)&next=/review"))
            #expect(signedIn.status == .seeOther)
            let session = try #require(Self.cookie("plinth_session", in: signedIn.headers))
            let page = String(buffer: try await client.execute(uri: "/review", method: .get, headers: [.cookie: "plinth_session=\(session)"]).body)
            #expect(page.contains("Entries due for review") && page.contains(#"data-image="reviewed-base""#))
            #expect(page.contains("last reviewed") && page.contains("Checked the successor plan"))
            let pageCSRF = try #require(Self.csrf(in: page))
            let stale = try await client.execute(
                uri: "/review/entry", method: .post, headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "plinth_session=\(session)"],
                body: ByteBuffer(string: "image=reviewed-base&note=looked&csrf=wrong"))
            #expect(stale.status == .forbidden)
            #expect(try await Self.due(client).count == 1)
            let done = try await client.execute(
                uri: "/review/entry", method: .post, headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "plinth_session=\(session)"],
                body: ByteBuffer(string: "image=reviewed-base&note=Reviewed+from+the+page&csrf=\(pageCSRF)"))
            #expect(done.status == .seeOther)
            #expect(try await Self.due(client).isEmpty)
            let after = String(buffer: try await client.execute(uri: "/review", method: .get, headers: [.cookie: "plinth_session=\(session)"]).body)
            #expect(after.contains("No entry is overdue for its review."))
            let reviews = try await database.store.auditEvents(AuditFilter(action: Catalog.reviewAction), limit: 10)
            #expect(reviews.first?.reason == "Reviewed from the page" && reviews.first?.actor == "token:alice")
        }
    }

    @Test func aCadenceThatIsNotAnIntervalIsRefusedNamingTheField() async throws {
        let database = try await TestDatabase()
        let catalog = database.catalog()
        for (bad, field) in [(#""review":{"every":"90"}"#, "review.every"), (#""review":{"every":"0d"}"#, "review.every"), (#""surface":{"shell":"no"}"#, "surface.shell"), (#""surface":{}"#, "surface"), (#""surface":{"max_size_mb":"big"}"#, "surface.max_size_mb")] {
            let document = Self.entry.replacingOccurrences(of: #""review":{"every":"30d"}"#, with: bad)
            do {
                _ = try await catalog.createImage(document: Data(document.utf8), actor: "setup", reason: nil)
                Issue.record("\(bad) was accepted")
            } catch CurationError.invalidEntry(let problems) {
                #expect(problems.first?.field == field, "\(problems)")
            }
        }
        #expect(try await database.store.entries().isEmpty)
    }
}
