import AsyncHTTPClient
import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import PlinthCatalog
import PlinthCore
import PlinthStore
import PlinthTestSupport
import Testing

/// Three `plinth serve` processes on one PostgreSQL database, as users run replicas behind a
/// load balancer: what one replica changes the others answer at once, the sync pass runs once
/// across them (and is finished by another when its replica dies), and concurrent writes on
/// all three leave one audit chain. Runs when the suite runs on PostgreSQL; scripts/test.sh
/// runs it alone, since it times what the replicas see of each other.
@Suite("Replicas on one PostgreSQL", .serialized, .enabled(if: TestBackend.current == .postgres, "the suite runs on SQLite"))
struct ReplicaTests {
    /// A `plinth serve` process.
    final class Replica: Sendable {
        let process: Process
        let port: Int
        let log: URL

        init(database: String, interval: String, directory: URL, name: String) async throws {
            port = try await WebhookTests.freePort()
            log = directory.appendingPathComponent("\(name).log")
            FileManager.default.createFile(atPath: log.path, contents: nil)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: PlinthBinary.path)
            process.arguments = [
                "serve", "--port", "\(port)", "--db", database, "--sync-interval", interval, "--concurrency", "1", "--log-level", "info",
            ]
            process.standardOutput = try FileHandle(forWritingTo: log)
            process.standardError = try FileHandle(forWritingTo: log)
            try process.run()
            self.process = process
            let ready = try await WebhookTests.eventually(30) { try await Self.status(self.port, "/readyz") == 200 }
            guard ready else { throw TestRegistries.StartError(description: "replica \(name) did not become ready: \(try String(contentsOf: log, encoding: .utf8))") }
        }

        static func status(_ port: Int, _ path: String) async throws -> Int {
            let (ok, output) = try await TestRegistries.run(
                "curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", "http://127.0.0.1:\(port)\(path)"])
            return ok ? Int(output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 : 0
        }

        func kill() { TestRegistries.kill(process.processIdentifier) }

        func stop() {
            guard process.isRunning else { return }
            process.terminate()
            process.waitUntilExit()
        }
    }

    /// One request with AsyncHTTPClient: the status and the body.
    static func send(
        _ http: HTTPClient, _ port: Int, _ method: HTTPRequest.Method, _ path: String, token: String? = nil, body: String? = nil
    ) async throws -> (Int, String) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = HTTPMethod(rawValue: method.rawValue)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await http.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: bytes))
    }

    static func verdict(_ body: String) -> String? {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])?["verdict"] as? String
    }

    /// The database's URL without `pool_size` (which only Plinth reads; libpq refuses it).
    static func withoutPoolSize(_ database: String) -> String {
        var url = URLComponents(string: database)
        let kept = url?.queryItems?.filter { $0.name != "pool_size" }
        url?.queryItems = kept
        return url?.string ?? database
    }

    static func psql(_ database: String, _ sql: String) async throws -> String {
        let (ok, output) = try await TestRegistries.run("psql", [withoutPoolSize(database), "-qAtc", sql])
        guard ok else { throw TestRegistries.StartError(description: "psql: \(output)") }
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// HEAD requests for each tag's manifest the registry answered: one per resolution of the tag.
    static func resolutions(in log: String, repository: String) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for line in try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n") {
            guard let start = line.range(of: "\"HEAD /v2/\(repository)/manifests/") else { continue }
            let tag = line[start.upperBound...].prefix { $0 != " " }
            if !tag.hasPrefix("sha256:") { counts[String(tag), default: 0] += 1 }
        }
        return counts
    }

    @Test func threeReplicasShareOneCatalog() async throws {
        let registries = try await TestRegistries.shared()
        let (registry, registryPID, registryLog) = try await TestRegistries.startSingle(accessLog: true)
        defer { TestRegistries.kill(registryPID) }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-replicas-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        // One image under 40 tags: skopeo pushes the first, the registry API tags the rest.
        let repository = "fixtures/many"
        let tags = (0..<40).map { "t\($0)" }
        try await registries.push("amd64", to: registry, repository: repository, tag: tags[0])
        let manifest = directory.appendingPathComponent("manifest.json").path
        let accept = "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json"
        let (fetched, mediaType) = try await TestRegistries.run(
            "curl", ["-sf", "-H", "Accept: \(accept)", "-o", manifest, "-w", "%{content_type}", "http://\(registry)/v2/\(repository)/manifests/\(tags[0])"])
        #expect(fetched)
        for tag in tags.dropFirst() {
            let (ok, output) = try await TestRegistries.run(
                "curl", ["-sf", "-X", "PUT", "-H", "Content-Type: \(mediaType)", "--data-binary", "@\(manifest)", "http://\(registry)/v2/\(repository)/manifests/\(tag)"])
            #expect(ok, "\(output)")
        }

        // The catalog, a curator's token and the 50-writes workload, written on the database first.
        // The replicas keep postgres-nio's own pool size: 50 writes at once queue on the write
        // lock, each holding a connection, and a pool of 6 made some wait past the client's
        // 10 s (their writes then committed while the test counted them failed).
        let database = Self.withoutPoolSize(try await TestBackend.newPostgresDatabase())
        let store = try await Stores.open(try StoreLocation(parsing: database))
        let catalog = Catalog(store: store)
        _ = try await catalog.apply(
            try .directory(try Fixtures.directory(["many.yaml": Fixtures.entryYAML(name: "many", repository: "\(registry)/\(repository)", tags: tags)]).path))
        let writes = try await ConcurrentWrites.prepare(catalog)
        let token = writes.curator

        // A replica alone, killed in the middle of its first pass; two others finish it.
        let interval = 5
        let first = try await Replica(database: database, interval: "\(interval)s", directory: directory, name: "a")
        var attemptedAtKill = -1
        let caught = try await WebhookTests.eventually(30) {
            let state = try await Self.psql(
                database, "SELECT (SELECT count(*) FROM tag_sync_state) || ' ' || coalesce((SELECT (finished_at IS NULL)::text FROM jobs WHERE name = 'sync'), 'none')")
            let parts = state.split(separator: " ")
            guard parts.count == 2, let attempted = Int(parts[0]), parts[1] == "true", attempted >= 3 else { return false }
            first.kill()
            attemptedAtKill = attempted
            return true
        }
        #expect(caught, "the first pass ended before it could be interrupted")
        #expect(attemptedAtKill < tags.count, "killed after the pass had done every tag")
        #expect(try await Self.psql(database, "SELECT finished_at IS NULL FROM jobs WHERE name = 'sync'") == "t")
        let others = [
            try await Replica(database: database, interval: "\(interval)s", directory: directory, name: "b"),
            try await Replica(database: database, interval: "\(interval)s", directory: directory, name: "c"),
        ]
        defer { for replica in others { replica.stop() } }
        let finished = try await WebhookTests.eventually(30) {
            try await Self.psql(database, "SELECT finished_at IS NOT NULL FROM jobs WHERE name = 'sync'") == "t"
        }
        let logs = others.map { (try? String(contentsOf: $0.log, encoding: .utf8))?.suffix(3000) ?? "" }
        #expect(finished, "no replica finished the pass the killed one began: \(logs)")
        let afterFirstPass = try Self.resolutions(in: registryLog, repository: repository)
        #expect(Set(afterFirstPass.keys) == Set(tags), "every tag resolved in the first pass")
        // Each tag resolved once in that pass; at most the one in flight at the kill twice.
        #expect(afterFirstPass.values.filter { $0 == 2 }.count <= 1 && afterFirstPass.values.allSatisfy { $0 <= 2 }, "\(afterFirstPass)")

        // A third replica joins; three intervals on, every tag was resolved once per pass.
        let third = try await Replica(database: database, interval: "\(interval)s", directory: directory, name: "a2")
        defer { third.stop() }
        let replicas = others + [third]
        let started = ContinuousClock.now
        try await Task.sleep(for: .seconds(interval * 3))
        // Counted between passes (none half done), and the revoke below made between them too.
        _ = try await WebhookTests.eventually(30) {
            try await Self.psql(database, "SELECT finished_at IS NOT NULL FROM jobs WHERE name = 'sync'") == "t"
        }
        let elapsed = ContinuousClock.now - started
        let later = try Self.resolutions(in: registryLog, repository: repository)
        let passes = Set(tags.map { (later[$0] ?? 0) - (afterFirstPass[$0] ?? 0) })
        #expect(passes.count == 1, "every tag resolved the same number of times: \(passes) \(later)")
        let perTag = passes.first ?? 0
        let intervals = Double(elapsed.components.seconds) / Double(interval)
        print("replicas: first pass killed after \(attemptedAtKill) of \(tags.count) tags and finished elsewhere; then \(perTag) passes of every tag in \(elapsed) at \(interval) s")
        #expect(Double(perTag) >= intervals - 1.5 && Double(perTag) <= intervals + 1, "\(perTag) passes in \(elapsed) at \(interval) s")

        // A revoke on one replica is answered by the other two within 100 ms.
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        defer { _ = http.shutdown() }
        let digest = try #require(try await store.currentRun(repository: "\(registry)/\(repository)", tag: tags[0])?.digest)
        for replica in replicas {
            let (status, body) = try await Self.send(http, replica.port, .get, "/v1/digests/\(digest)")
            #expect(status == 200 && Self.verdict(body) != "revoked", "\(body)")
        }
        let (revoked, _) = try await Self.send(http, replicas[0].port, .post, "/v1/digests/\(digest)/revoke", token: token, body: #"{"reason":"replica test"}"#)
        #expect(revoked == 200)
        let revokedAt = ContinuousClock.now
        // Both other replicas asked at once, each until it answers revoked.
        let seen = try await withThrowingTaskGroup(of: (Int, Duration?).self) { group in
            for replica in replicas.dropFirst() {
                group.addTask {
                    while ContinuousClock.now - revokedAt < .seconds(5) {
                        if Self.verdict(try await Self.send(http, replica.port, .get, "/v1/digests/\(digest)").1) == "revoked" {
                            return (replica.port, ContinuousClock.now - revokedAt)
                        }
                    }
                    return (replica.port, nil)
                }
            }
            return try await group.reduce(into: [Int: Duration?]()) { $0[$1.0] = $1.1 }
        }
        for (port, after) in seen {
            let after = try #require(after, "replica on port \(port) never answered revoked")
            print("replicas: revoke on one answered revoked by another after \(after)")
            #expect(after < .milliseconds(100), "replica on port \(port) answered revoked after \(after)")
        }

        // 50 concurrent writes spread over the three replicas leave one chain, in some serial order.
        let statuses = try await writes.send { n, operation in
            try await Self.send(http, replicas[n % 3].port, operation.method, operation.path, token: token, body: operation.body).0
        }
        try await writes.check(statuses, store: store, catalog: catalog, everyKind: false)
        let verify = try await PlinthBinary.run(["audit", "verify", "--db", database])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
    }
}
