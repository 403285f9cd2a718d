import Foundation
import Hummingbird
import HTTPTypes
import HummingbirdTesting
import Logging
import Metrics
import PlinthCatalog
import PlinthCore
import PlinthStore
import PlinthTestSupport
import Prometheus
import Testing

@testable import PlinthServer

/// Drives the real application (router, middleware, generated handlers) over the seed catalog.
@Suite("REST API")
struct APITests {
    /// The application as `plinth serve` builds it (the composition root), on a new database
    /// of the suite's backend, which it seeds with the built-in catalog; its clock at `Fixtures.now`.
    static func withApp(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        // Only the application's store is opened (on PostgreSQL, one pool a test, not two).
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-api-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let location = try await TestBackend.newLocation(in: directory)
        let (app, _) = try await PlinthApplication.build(PlinthConfiguration(store: try StoreLocation(parsing: location), now: { Fixtures.now }))
        try await app.test(.router, body)
    }

    static func json(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
    }

    static func post(_ client: any TestClientProtocol, _ path: String, _ body: String, contentType: String = "application/json") async throws -> TestResponse {
        try await client.execute(uri: path, method: .post, headers: [.contentType: contentType], body: ByteBuffer(string: body))
    }

    @Test func indexDigestIsApproved() async throws {
        try await Self.withApp { client in
            let response = try await client.execute(uri: "/v1/digests/\(Fixtures.bookwormSlimIndex)", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json; charset=utf-8")
            let body = try Self.json(response)
            #expect(body["verdict"] as? String == "approved")
            #expect(body["kind"] as? String == "index")
            #expect(body["image"] as? String == "debian-bookworm-slim")
            #expect(body["tags"] as? [String] == ["bookworm-slim"])
            #expect((body["platforms"] as? [[String: Any]])?.count == 5)
            #expect((body["approval"] as? [String: Any])?["at"] as? String == "2026-09-18T00:00:00Z")
        }
    }

    @Test func platformDigestNamesItsPlatformAndIndex() async throws {
        try await Self.withApp { client in
            let body = try Self.json(try await client.execute(uri: "/v1/digests/\(Fixtures.bookwormSlimAmd64)", method: .get))
            #expect(body["verdict"] as? String == "approved")
            #expect(body["platform"] as? String == "linux/amd64")
            #expect(body["index"] as? String == Fixtures.bookwormSlimIndex)
            #expect(body["current_digest"] as? String == Fixtures.bookwormSlimIndex)
        }
    }

    @Test func unknownDigestIsA404ProblemWithVerdictUnknown() async throws {
        try await Self.withApp { client in
            let response = try await client.execute(uri: "/v1/digests/\(Fixtures.unknownDigest)", method: .get)
            #expect(response.status == .notFound)
            #expect(response.headers[.contentType]?.hasPrefix("application/problem+json") == true)
            let body = try Self.json(response)
            #expect(body["verdict"] as? String == "unknown")
            #expect(body["status"] as? Int == 404)
            #expect(body["digest"] as? String == Fixtures.unknownDigest)
        }
    }

    @Test(arguments: ["sha256:xyz", "sha256:" + String(repeating: "A", count: 64), "md5:abc", "latest"])
    func malformedDigestIsA400Problem(_ digest: String) async throws {
        try await Self.withApp { client in
            let response = try await client.execute(uri: "/v1/digests/\(digest)", method: .get)
            #expect(response.status == .badRequest)
            let body = try Self.json(response)
            #expect(body["title"] as? String == "Invalid digest")
            #expect((body["detail"] as? String)?.isEmpty == false)
        }
    }

    @Test func imagesListFiltersAndPaginates() async throws {
        try await Self.withApp { client in
            let all = try Self.json(try await client.execute(uri: "/v1/images?limit=10", method: .get))
            #expect((all["items"] as? [Any])?.count == 10)
            let cursor = try #require(all["next_cursor"] as? String)
            let rest = try Self.json(try await client.execute(uri: "/v1/images?limit=10&cursor=\(cursor)", method: .get))
            #expect((rest["items"] as? [Any])?.count == 8)
            #expect(rest["next_cursor"] == nil)

            let java = try Self.json(try await client.execute(uri: "/v1/images?workload=java&platform=linux/arm64&status=approved", method: .get))
            let names = (java["items"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
            #expect(names == ["amazonlinux-2023", "debian-bookworm-slim", "debian-trixie-slim", "eclipse-temurin-21-jre", "ubi9-minimal"])
        }
    }

    @Test(arguments: ["/v1/images?platform=linux", "/v1/images?limit=0", "/v1/images?limit=500", "/v1/images?status=blessed", "/v1/images?cursor=Not_A_Name"])
    func badImageQueriesAre400Problems(_ uri: String) async throws {
        try await Self.withApp { client in
            let response = try await client.execute(uri: uri, method: .get)
            #expect(response.status == .badRequest, "\(uri)")
            #expect(response.headers[.contentType]?.hasPrefix("application/problem+json") == true)
        }
    }

    @Test func imageDetailAndErrors() async throws {
        try await Self.withApp { client in
            let image = try Self.json(try await client.execute(uri: "/v1/images/debian-bookworm-slim", method: .get))
            #expect(image["repository"] as? String == "docker.io/library/debian")
            #expect(image["successor"] as? String == "debian-trixie-slim")
            let current = image["current"] as? [[String: Any]]
            #expect(current?.first?["digest"] as? String == Fixtures.bookwormSlimIndex)
            #expect((image["os"] as? [String: Any])?["eol"] as? String == "2028-06-30")

            #expect(try await client.execute(uri: "/v1/images/no-such-image", method: .get).status == .notFound)
            #expect(try await client.execute(uri: "/v1/images/Bad_Name", method: .get).status == .badRequest)
        }
    }

    @Test func historyShowsEachRunWithFirstAndLastSeen() async throws {
        try await Self.withApp { client in
            let body = try Self.json(try await client.execute(uri: "/v1/images/debian-bookworm-slim/history", method: .get))
            let tags = try #require(body["tags"] as? [[String: Any]])
            let slim = try #require(tags.first { $0["tag"] as? String == "bookworm-slim" })
            let observations = try #require(slim["observations"] as? [[String: Any]])
            #expect(observations.compactMap { $0["digest"] as? String } == [Fixtures.bookwormSlimEarlierIndex, Fixtures.bookwormSlimIndex])
            #expect(observations.compactMap { $0["verdict"] as? String } == ["expired", "approved"])
            #expect(observations.first?["first_seen"] as? String == "2026-08-03T00:00:00Z")
            #expect(try await client.execute(uri: "/v1/images/no-such-image/history", method: .get).status == .notFound)
        }
    }

    @Test func checkGivesAVerdictPerItem() async throws {
        try await Self.withApp { client in
            let response = try await Self.post(client, "/v1/check", #"{"items": ["\#(Fixtures.bookwormSlimAmd64)", "debian:bookworm-slim"]}"#)
            #expect(response.status == .ok)
            let body = try Self.json(response)
            #expect(body["passed"] as? Bool == false)
            let results = try #require(body["results"] as? [[String: Any]])
            #expect(results.compactMap { $0["verdict"] as? String } == ["approved", "unpinned"])
            #expect(results[1]["reference"] as? String == "docker.io/library/debian:bookworm-slim")
        }
    }

    @Test func checkFailsABadItemWithItsReason() async throws {
        try await Self.withApp { client in
            let response = try await Self.post(client, "/v1/check", #"{"items": ["\#(Fixtures.bookwormSlimIndex)", "sha256:xyz"]}"#)
            #expect(response.status == .ok)
            let body = try Self.json(response)
            #expect(body["passed"] as? Bool == false)
            let results = try #require(body["results"] as? [[String: Any]])
            #expect(results.compactMap { $0["verdict"] as? String } == ["approved", "invalid"])
            #expect(results[1]["reason"] as? String == "sha256 digest must have 64 hex characters, got 3")
        }
    }

    @Test func wrongMethodOnAKnownPathIs405WithAllow() async throws {
        try await Self.withApp { client in
            let response = try await client.execute(uri: "/v1/check", method: .get)
            #expect(response.status == .methodNotAllowed)
            #expect(response.headers[.allow] == "POST")
            let digest = try await client.execute(uri: "/v1/digests/\(Fixtures.bookwormSlimIndex)", method: .delete)
            #expect(digest.status == .methodNotAllowed)
            #expect(digest.headers[.allow] == "GET")
        }
    }

    @Test(arguments: [
        (#"{"items": [1]}"#, "application/json", 400, "/items/0"),
        (#"{"things": []}"#, "application/json", 400, "/items"),
        (#"{"items": []}"#, "application/json", 400, "/items"),
        (#"{"items": ["#, "application/json", 400, nil as String?),
        (#"items=x"#, "application/x-www-form-urlencoded", 415, nil),
    ])
    func malformedCheckBodiesAreClientErrors(_ body: String, _ contentType: String, _ status: Int, _ pointer: String?) async throws {
        try await Self.withApp { client in
            let response = try await Self.post(client, "/v1/check", body, contentType: contentType)
            #expect(response.status.code == status)
            #expect(response.headers[.contentType]?.hasPrefix("application/problem+json") == true)
            if let pointer {
                let errors = try Self.json(response)["errors"] as? [[String: Any]]
                #expect(errors?.first?["pointer"] as? String == pointer)
            }
        }
    }

    @Test func oversizedBodyIs413() async throws {
        try await Self.withApp { client in
            let huge = #"{"items": [""# + String(repeating: "a", count: 2 << 20) + #""]}"#
            let response = try await Self.post(client, "/v1/check", huge)
            #expect(response.status == .contentTooLarge)
        }
    }

    @Test func matrixHealthReadinessAndDocument() async throws {
        try await Self.withApp { client in
            let matrix = try Self.json(try await client.execute(uri: "/v1/matrix", method: .get))
            let rows = try #require(matrix["workloads"] as? [[String: Any]])
            #expect(rows.compactMap { $0["workload"] as? String }.contains("python"))
            #expect(try Self.json(try await client.execute(uri: "/healthz", method: .get))["status"] as? String == "ok")
            #expect(try Self.json(try await client.execute(uri: "/readyz", method: .get))["status"] as? String == "ready")
            let document = try await client.execute(uri: "/openapi.yaml", method: .get)
            #expect(document.status == .ok)
            #expect(Data(buffer: document.body) == PlinthApplication.openAPIDocument)
            #expect(String(buffer: document.body).hasPrefix("openapi: 3.1.0"))
        }
    }

    /// The matrix comes a page at a time: each row at most `limit` cells with its `total`,
    /// and a row's `next_cursor` with its workload gives the rest, without repeats or gaps.
    @Test func theMatrixIsPaginatedPerRow() async throws {
        try await Self.withApp { client in
            let whole = try #require(try Self.json(try await client.execute(uri: "/v1/matrix?limit=200", method: .get))["workloads"] as? [[String: Any]])
            let row = try #require(whole.first { ($0["total"] as? Int ?? 0) >= 3 })
            let workload = try #require(row["workload"] as? String)
            let expected = try #require(row["images"] as? [[String: Any]]).compactMap { $0["image"] as? String }
            #expect(expected.count == row["total"] as? Int && row["next_cursor"] == nil)

            var seen: [String] = []
            var uri = "/v1/matrix?workload=\(workload)&limit=2"
            for _ in 0..<expected.count {
                let page = try #require(try Self.json(try await client.execute(uri: uri, method: .get))["workloads"] as? [[String: Any]])
                #expect(page.count == 1 && page.first?["workload"] as? String == workload && page.first?["total"] as? Int == expected.count)
                let images = try #require(page.first?["images"] as? [[String: Any]]).compactMap { $0["image"] as? String }
                #expect(images.count <= 2)
                seen += images
                guard let cursor = page.first?["next_cursor"] as? String else { break }
                uri = "/v1/matrix?workload=\(workload)&limit=2&cursor=\(cursor)"
            }
            #expect(seen == expected)

            // Without a workload, a cursor is a position in every row.
            let after = try #require(try Self.json(try await client.execute(uri: "/v1/matrix?cursor=not-recommended/zzz", method: .get))["workloads"] as? [[String: Any]])
            #expect(after.allSatisfy { ($0["images"] as? [[String: Any]])?.allSatisfy { $0["support"] as? String == "unsupported" } ?? false })
            for bad in ["/v1/matrix?limit=0", "/v1/matrix?limit=201", "/v1/matrix?cursor=0000", "/v1/matrix?workload=\(workload)&cursor=nonsense/x"] {
                let response = try await client.execute(uri: bad, method: .get)
                #expect(response.status == .badRequest, "\(bad)")
                #expect(response.headers[.contentType]?.hasPrefix("application/problem+json") == true, "\(bad)")
            }
        }
    }

    @Test func unknownRouteIsA404ProblemUnderTheAPIAndAnHTMLPageElsewhere() async throws {
        try await Self.withApp { client in
            let response = try await client.execute(uri: "/v1/nothing", method: .get)
            #expect(response.status == .notFound)
            #expect(response.headers[.contentType]?.hasPrefix("application/problem+json") == true)
            #expect(response.headers[HTTPField.Name("X-Request-Id")!] != nil)
            let page = try await client.execute(uri: "/v2/nothing", method: .get)
            #expect(page.status == .notFound)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(page.headers[HTTPField.Name("X-Request-Id")!] != nil)
            #expect(String(buffer: page.body).contains("<h1>404 · Not Found</h1>"))
            let image = try await client.execute(uri: "/images/no-such-image", method: .get)
            #expect(image.status == .notFound)
            #expect(String(buffer: image.body).contains("no image named &#39;no-such-image&#39; in the catalog"))
        }
    }

    /// Pages refuse as pages: a bad bearer token gets the HTML 401 page; under --auth-reads a
    /// page needs a signed-in session (its cookie), and sends a browser without one to sign in
    /// and back, while the API answers problem+json and the sign-in page stays open.
    @Test func pagesRefuseAsPagesAndNeedASessionUnderAuthReads() async throws {
        let (database, catalog) = try await TestDatabase.seeded()
        let token = try await catalog.createToken(name: "reader", role: .reader, expires: nil, actor: "test").0.description
        let open = Application(router: try PlinthApplication.router(catalog: catalog, metrics: PrometheusCollectorRegistry()))
        try await open.test(.router) { client in
            let bad = try await client.execute(uri: "/images/debian-bookworm-slim", method: .get, headers: [.authorization: "Bearer plinth_nope"])
            #expect(bad.status == .unauthorized)
            #expect(bad.headers[.contentType] == "text/html; charset=utf-8")
            #expect(bad.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            #expect(String(buffer: bad.body).contains("<h1>401 · Unauthorized</h1>"))
            #expect(String(buffer: bad.body).contains(#"<a href="/signin">Sign in</a>"#))
            let api = try await client.execute(uri: "/v1/images", method: .get, headers: [.authorization: "Bearer plinth_nope"])
            #expect(api.status == .unauthorized)
            #expect(api.headers[.contentType]?.hasPrefix("application/problem+json") == true)
        }
        let closed = Application(router: try PlinthApplication.router(catalog: catalog, metrics: PrometheusCollectorRegistry(), authReads: true))
        try await closed.test(.router) { client in
            let away = try await client.execute(uri: "/images/debian-bookworm-slim?x=1", method: .get)
            #expect(away.status == .seeOther)
            #expect(away.headers[.location] == "/signin?next=/images/debian-bookworm-slim%3Fx%3D1")
            #expect(try await client.execute(uri: "/v1/images", method: .get).status == .unauthorized)
            #expect(try await client.execute(uri: "/static/plinth.css", method: .get).status == .ok)
            let form = try await client.execute(uri: "/signin?next=/images/debian-bookworm-slim%3Fx%3D1", method: .get)
            #expect(form.status == .ok)
            let posted = try await client.execute(uri: "/review/approve", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: "csrf=x"))
            #expect(posted.status == .unauthorized)
            #expect(posted.headers[.contentType] == "text/html; charset=utf-8")
            // Sign in (the form's double-submit cookie and field), then the page opens.
            let csrf = try #require(form.headers[values: .setCookie].compactMap { Self.cookie($0, "plinth_signin") }.first)
            let signedIn = try await client.execute(
                uri: "/signin", method: .post, headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "plinth_signin=\(csrf)"],
                body: ByteBuffer(string: "token=\(token)&csrf=\(csrf)&next=%2Fimages%2Fdebian-bookworm-slim%3Fx%3D1"))
            #expect(signedIn.status == .seeOther)
            #expect(signedIn.headers[.location] == "/images/debian-bookworm-slim?x=1")
            let session = try #require(signedIn.headers[values: .setCookie].compactMap { Self.cookie($0, "plinth_session") }.first { !$0.isEmpty })
            let page = try await client.execute(uri: "/images/debian-bookworm-slim", method: .get, headers: [.cookie: "plinth_session=\(session)"])
            #expect(page.status == .ok)
            #expect(String(buffer: page.body).contains("Debian 12 (bookworm), slim"))
            #expect(try await client.execute(uri: "/", method: .get, headers: [.cookie: "plinth_session=forged"]).status == .seeOther)
        }
        _ = database
    }

    /// The value of cookie `name` in a Set-Cookie header, if it sets that cookie.
    static func cookie(_ header: String, _ name: String) -> String? {
        guard header.hasPrefix(name + "=") else { return nil }
        return String(header.dropFirst(name.count + 1).prefix { $0 != ";" })
    }

    /// The catalog page shows 50 images at a time; "Next images" keeps the filters and
    /// continues after the last one shown, until every matching entry has been listed once.
    @Test func theCatalogPageIsPaginatedAndKeepsItsFilters() async throws {
        let (database, catalog) = try await TestDatabase.seeded()
        let extra = (0..<60).map { i in
            CatalogEntry(
                name: String(format: "page-test-%02d", i), title: "Page test \(i)", repository: "registry.example.com/page/test\(i)", tags: ["1"],
                status: .approved, os: .init(family: "debian", version: "12"), platforms: [try! Platform(parsing: "linux/amd64")],
                workloads: [.init(workload: "python", support: .supported)], owner: "platform", rationale: "r", tradeoffs: nil, successor: nil,
                approval: .init(policy: .automatic, graceDays: 14))
        }
        try await database.store.apply(CatalogPlan(created: extra))
        let app = Application(router: try PlinthApplication.router(catalog: catalog, metrics: PrometheusCollectorRegistry()))
        try await app.test(.router) { client in
            func rows(_ html: String) -> [String] {
                html.components(separatedBy: "<tr data-image=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
            }
            func next(_ html: String) -> String? {
                guard let range = html.range(of: #"<a rel="next" href=""#) else { return nil }
                return String(html[range.upperBound...].prefix { $0 != "\"" }).replacingOccurrences(of: "&amp;", with: "&")
            }
            for (start, expected) in [("/", 78), ("/?q=page-test", 60), ("/?q=page-test&workload=python", 60)] {
                var shown: [String] = []
                var uri: String? = start
                var pages = 0
                while let current = uri {
                    let response = try await client.execute(uri: current, method: .get)
                    #expect(response.status == .ok, "\(current)")
                    let html = String(buffer: response.body)
                    let names = rows(html)
                    #expect(names.count <= 50)
                    if pages == 0 { #expect(html.contains("\(expected) images"), "\(start)") }
                    shown += names
                    uri = next(html)
                    if let uri, start.contains("q=") { #expect(uri.contains("q=page-test"), "\(uri)") }
                    pages += 1
                    if pages > 5 { break }
                }
                #expect(shown.count == expected, "\(start)")
                #expect(Set(shown).count == expected, "\(start)")
                #expect(shown == shown.sorted(), "\(start)")
                #expect(pages == 2, "\(start)")
            }
            #expect(try await client.execute(uri: "/?after=Not%20a%20name", method: .get).status == .badRequest)
        }
    }

    @Test func pagesAreHTMLWithAContentSecurityPolicy() async throws {
        try await Self.withApp { client in
            for path in ["/", "/matrix", "/images/debian-bookworm-slim", "/digests/\(Fixtures.bookwormSlimAmd64)", "/changes"] {
                let response = try await client.execute(uri: path, method: .get)
                #expect(response.status == .ok, "\(path)")
                #expect(response.headers[.contentType] == "text/html; charset=utf-8", "\(path)")
                #expect(response.headers[HTTPField.Name("Content-Security-Policy")!]?.contains("script-src 'self'") == true, "\(path)")
            }
            let digest = String(buffer: try await client.execute(uri: "/digests/\(Fixtures.bookwormSlimAmd64)", method: .get).body)
            #expect(digest.contains(#"<p class="verdict-big verdict-approved" id="verdict">approved</p>"#))
            let feed = try await client.execute(uri: "/changes.atom", method: .get)
            #expect(feed.headers[.contentType] == "application/atom+xml; charset=utf-8")
            #expect(try await client.execute(uri: "/?grade=Z", method: .get).status == .badRequest)
        }
    }
}

/// The metrics system can be bootstrapped once per process: this suite's registry is it.
let processMetrics: PrometheusCollectorRegistry = {
    let registry = PrometheusCollectorRegistry()
    MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    return registry
}()

@Suite("Metrics endpoint")
struct MetricsTests {
    @Test func countsRequestsByRouteAndStatusWithLatencyHistograms() async throws {
        let (database, catalog) = try await TestDatabase.seeded()
        let router = try PlinthApplication.router(catalog: catalog, metrics: processMetrics)
        // Other suites run in this process too: compare counts before and after.
        @Sendable func sample(_ client: any TestClientProtocol) async throws -> (ok: Double, notFound: Double, timed: Double) {
            let text = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            func value(_ series: String) -> Double {
                text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last!) } ?? 0
            }
            let labels = #"{http_route="/v1/digests/{digest}",http_request_method="GET",http_response_status_code="#
            return (value("hb_requests" + labels + #""200"}"#), value("hb_requests" + labels + #""404"}"#),
                    value("http_server_request_duration_count" + labels + #""200"}"#))
        }
        try await Application(router: router).test(.router) { client in
            let before = try await sample(client)
            _ = try await client.execute(uri: "/v1/digests/\(Fixtures.bookwormSlimIndex)", method: .get)
            _ = try await client.execute(uri: "/v1/digests/\(Fixtures.unknownDigest)", method: .get)
            let after = try await sample(client)
            #expect(after.ok - before.ok >= 1)
            #expect(after.notFound - before.notFound >= 1)
            #expect(after.timed - before.timed >= 1)
        }
        _ = database
    }
}

@Suite("Digest response cache")
struct DigestResponseCacheTests {
    @Test func repeatedLookupsAnswerTheSameAndAChangeIsSeenAtOnce() async throws {
        let (database, catalog) = try await TestDatabase.seeded()
        let app = Application(router: try PlinthApplication.router(catalog: catalog, metrics: PrometheusCollectorRegistry()))
        try await app.test(.router) { client in
            let uri = "/v1/digests/\(Fixtures.bookwormSlimAmd64)"
            let first = try await client.execute(uri: uri, method: .get)
            let second = try await client.execute(uri: uri, method: .get)
            #expect(first.status == .ok)
            #expect(first.body == second.body)
            #expect(second.headers[.contentType] == "application/json; charset=utf-8")
            #expect(second.headers[.contentLength] == String(second.body.readableBytes))

            // The tag moves on: a newer build is seen and approved by the automatic policy.
            let newer = try Digest(parsing: "sha256:" + String(repeating: "e", count: 64))
            let snapshot = ImageSnapshot(
                repository: "docker.io/library/debian", tag: "bookworm-slim", digest: newer, mediaType: .ociIndex, children: [],
                seenAt: Fixtures.now, source: "test")
            try await database.store.apply(
                CatalogPlan(observations: [ObservationWrite(snapshot: snapshot, approveFor: "debian-bookworm-slim", approval: Approval(by: "test", at: Fixtures.now))]))

            let third = try await client.execute(uri: uri, method: .get)
            let body = try #require(try JSONSerialization.jsonObject(with: Data(buffer: third.body)) as? [String: Any])
            #expect(body["verdict"] as? String == "superseded")
            #expect(body["current_digest"] as? String == newer.description)
        }
    }
}
