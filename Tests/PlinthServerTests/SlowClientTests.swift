import Foundation
import PlinthTestSupport
import Testing

/// `plinth serve` against slow and idle clients: each is closed after `--idle-timeout`, the
/// open connections are bounded by `--max-connections`, and requests keep being answered.
@Suite("Slow clients", .serialized)
struct SlowClientTests {
    /// A running `plinth serve` on a fresh database and a free port.
    final class Server: Sendable {
        let process: Process
        let port: Int
        let directory: URL

        init(arguments: [String]) async throws {
            port = try await WebhookTests.freePort()
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-serve-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: PlinthBinary.path)
            process.arguments = [
                "serve", "--port", "\(port)", "--db", directory.appendingPathComponent("plinth.sqlite").path, "--sync-interval", "0",
                "--log-level", "warning",
            ] + arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            self.process = process
            let ready = try await WebhookTests.eventually(30) { try await self.get("/readyz") == 200 }
            guard ready else { throw TestRegistries.StartError(description: "plinth serve did not become ready on port \(port)") }
        }

        /// A request with curl (a client of its own, with a connection of its own).
        func get(_ path: String) async throws -> Int {
            let (ok, output) = try await TestRegistries.run(
                "curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", "http://127.0.0.1:\(port)\(path)"])
            return ok ? Int(output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 : 0
        }

        func stop() {
            process.terminate()
            process.waitUntilExit()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    struct Report: Decodable {
        struct Times: Decodable { var min: Double?, median: Double?, max: Double? }
        var opened: Int
        var closed_by_server: Int
        var still_open: Int
        var closed_within_1s: Int
        var closed_after_s: Times
    }

    static func slowClients(port: Int, count: Int, maxWait: Int) async throws -> Report {
        let script = TestRegistries.repositoryRoot.appendingPathComponent("scripts/slow-clients.py").path
        let (ok, output) = try await TestRegistries.run(
            "python3", [script, "--port", "\(port)", "--count", "\(count)", "--interval", "0.5", "--max-wait", "\(maxWait)"])
        guard ok, let line = output.split(separator: "\n").last(where: { $0.hasPrefix("{") }) else {
            throw TestRegistries.StartError(description: "slow-clients.py failed: \(output)")
        }
        return try JSONDecoder().decode(Report.self, from: Data(line.utf8))
    }

    @Test func slowClientsAreClosedAfterTheIdleTimeoutWhileRequestsAreAnswered() async throws {
        let server = try await Server(arguments: ["--idle-timeout", "2s"])
        defer { server.stop() }
        let digest = Fixtures.bookwormSlimIndex
        async let attack = Self.slowClients(port: server.port, count: 300, maxWait: 20)
        // While 300 clients trickle their request heads, lookups are answered.
        var statuses: [Int] = []
        for _ in 0..<10 {
            try await Task.sleep(for: .milliseconds(200))
            statuses.append(try await server.get("/v1/digests/\(digest)"))
        }
        let report = try await attack
        #expect(statuses == Array(repeating: 200, count: 10))
        #expect(report.opened == 300)
        #expect(report.closed_by_server == 300, "every slow client is closed by the server")
        #expect(report.still_open == 0)
        // Closed at the timeout (2 s from connecting; the trickled bytes are no complete head), not before.
        #expect((report.closed_after_s.min ?? 0) >= 1.9)
        #expect((report.closed_after_s.max ?? 99) < 6)
    }

    @Test func connectionsOverTheBoundAreClosedAtOnce() async throws {
        let server = try await Server(arguments: ["--idle-timeout", "3s", "--max-connections", "40"])
        defer { server.stop() }
        let report = try await Self.slowClients(port: server.port, count: 60, maxWait: 20)
        #expect(report.opened == 60)
        #expect(report.closed_by_server == 60)
        // 20 over the bound are closed at once; the 40 it holds, at the idle timeout.
        #expect(report.closed_within_1s == 20)
        #expect((report.closed_after_s.max ?? 0) >= 2.9)
        #expect(try await server.get("/healthz") == 200, "once they are gone, the server answers again")
    }
}
