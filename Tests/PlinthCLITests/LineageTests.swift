import Foundation
import PlinthCore
import PlinthTestSupport
import Testing

/// Who is built on what: CNCF distribution, configured with `notifications.endpoints` pointing
/// at `plinth serve`, reports a push; Plinth reads the pushed image back, finds its base by its
/// layers and records it. `plinth dependents` and the API list it, and revoking the base names
/// it in the answer, in `plinth revoke`'s output and in the `digest.revoke` webhook event.
@Suite("Lineage", .serialized)
struct LineageTests {
    /// A webhook receiver (Python's http.server): each POST body a line of `file`.
    final class Receiver: Sendable {
        let process: Process
        let port: Int
        let file: String

        init() async throws {
            port = try await ServeProcess.freePort()
            file = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-received-\(UUID().uuidString).jsonl").path
            FileManager.default.createFile(atPath: file, contents: nil)
            let script = """
                import http.server, sys
                class H(http.server.BaseHTTPRequestHandler):
                    def do_POST(self):
                        body = self.rfile.read(int(self.headers['Content-Length']))
                        with open(sys.argv[2], 'ab') as f: f.write(body.replace(b'\\n', b' ') + b'\\n')
                        self.send_response(204); self.end_headers()
                    def log_message(self, *a): pass
                http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
                """
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", script, "\(port)", file]
            try process.run()
            self.process = process
        }

        var events: [[String: Any]] {
            ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
        }

        /// SIGKILL: a child of the test process may start with SIGTERM blocked.
        func stop() { TestRegistries.kill(process.processIdentifier) }
    }

    static func token(_ role: String, _ db: String) async throws -> String {
        let created = try await PlinthBinary.run(["token", "create", "--role", role, "--name", "\(role)-\(UUID().uuidString.prefix(6))", "--expires", "1d", "--db", db])
        #expect(created.status == 0, "\(created.stderr)")
        return try #require(created.stdout.split(whereSeparator: \.isWhitespace).first { $0.hasPrefix("plinth_") }.map(String.init), "\(created.stdout)")
    }

    @Test func aPushReportedByTheRegistryIsRecordedOnItsBaseAndRevokingTheBaseListsIt() async throws {
        let setup = try await AdmissionTests.setUp()
        let hookToken = try await Self.token("reader", setup.db)
        let curatorToken = try await Self.token("curator", setup.db)
        let receiver = try await Receiver()
        defer { receiver.stop() }
        let hooks = setup.directory.appendingPathComponent("webhooks.yaml")
        try """
        webhooks:
          - name: incidents
            url: http://127.0.0.1:\(receiver.port)/plinth
            events: [digest.revoke]
            secret_env: PLINTH_TEST_WEBHOOK_SECRET

        """.write(to: hooks, atomically: true, encoding: .utf8)
        let server = try await ServeProcess(
            db: setup.db, arguments: ["--webhooks", hooks.path], environment: ["PLINTH_TEST_WEBHOOK_SECRET": "a-secret-of-sixteen-or-more"])
        defer { server.stop() }

        // A registry of its own whose notifications go to Plinth, with a reader token.
        let (registry, pid) = try await TestRegistries.startNotifying("\(server.url)/v1/hooks/distribution", token: hookToken)
        defer { TestRegistries.kill(pid) }
        try await setup.registries.push("app", to: registry, repository: "team/web", tag: "1.0")
        let pushed = Digest.compute(.sha256, of: Array(try await setup.registries.rawManifest(registry, "team/web", "1.0"))).description

        // distribution delivers in the background: wait for the record.
        var dependents: [[String: Any]] = []
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let (status, body) = try await server.get("/v1/digests/\(setup.baseDigest)/dependents")
            #expect(status == 200)
            dependents = (try? AdmissionTests.object(body))?["dependents"] as? [[String: Any]] ?? []
            if !dependents.isEmpty { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        let recorded = try #require(dependents.first, "the registry's push was not recorded")
        #expect(dependents.count == 1)
        #expect(recorded["repository"] as? String == "\(registry)/team/web")
        #expect(recorded["manifest"] as? String == pushed)
        #expect(recorded["base"] as? String == setup.baseDigest)
        #expect(recorded["source"] as? String == "registry")
        #expect(recorded["reference"] as? String == "\(registry)/team/web:1.0@\(pushed)")

        // The hook needs a token; without one, nothing is recorded.
        let (anonymousStatus, _) = try await server.post("/v1/hooks/distribution", json: Data(#"{"events":[]}"#.utf8))
        #expect(anonymousStatus == 401)

        // The CLI lists the same, from the database.
        let listed = try await PlinthBinary.run(["dependents", setup.baseDigest, "--db", setup.db])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.contains("\(registry)/team/web:1.0@\(pushed)"), "\(listed.stdout)")
        #expect(listed.stdout.contains("registry"))
        let listedJSON = try await PlinthBinary.run(["dependents", setup.baseDigest, "--db", setup.db, "--json"])
        let fromCLI = try AdmissionTests.object(Data(listedJSON.stdout.utf8))["dependents"] as? [[String: Any]] ?? []
        #expect(fromCLI.first?["manifest"] as? String == pushed)
        let unknown = try await PlinthBinary.run(["dependents", "sha256:" + String(repeating: "0", count: 64), "--db", setup.db])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("never seen"), "\(unknown.stderr)")

        // Revoking the base names who is built on it: in the answer, and in the webhook event.
        let (revokeStatus, revokeBody) = try await server.post(
            "/v1/digests/\(setup.baseDigest)/revoke", json: Data(#"{"reason":"a compromised build"}"#.utf8),
            headers: ["Authorization: Bearer \(curatorToken)"])
        #expect(revokeStatus == 200, "\(String(decoding: revokeBody, as: UTF8.self))")
        let revoked = try AdmissionTests.object(revokeBody)
        #expect(revoked["verdict"] as? String == "revoked")
        #expect((revoked["dependents"] as? [[String: Any]])?.map { $0["manifest"] as? String } == [pushed])
        var event: [String: Any]?
        let eventDeadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < eventDeadline, event == nil {
            event = receiver.events.first { $0["action"] as? String == "digest.revoke" }
            if event == nil { try await Task.sleep(for: .milliseconds(200)) }
        }
        let delivered = try #require(event, "no digest.revoke event reached the webhook")
        #expect(delivered["subject"] as? String == setup.baseDigest)
        #expect((delivered["after"] as? [String: Any])?["dependents"] as? [String] == ["\(registry)/team/web@\(pushed)"])

        // The image built on the revoked base now fails the gate.
        let check = try await PlinthBinary.run(["check", "--db", setup.db, "--image", "\(registry)/team/web:1.0"])
        #expect(check.status == 1, "\(check.stdout)")
        #expect(check.stdout.contains("revoked"), "\(check.stdout)")
    }

    @Test func revokingFromTheCommandLineListsTheImagesToRebuild() async throws {
        let setup = try await AdmissionTests.setUp()
        // plinth check --image records what it judged.
        let check = try await PlinthBinary.run(["check", "--db", setup.db, "--image", setup.reference(setup.app, "app")])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        let revoke = try await PlinthBinary.run(["revoke", setup.baseDigest, "--reason", "a bad build", "--db", setup.db])
        #expect(revoke.status == 0, "\(revoke.stderr)")
        #expect(revoke.stdout.contains("built on it (1): rebuild them"), "\(revoke.stdout)")
        #expect(revoke.stdout.contains("\(setup.reference(setup.app, "app"))"), "\(revoke.stdout)")
        #expect(revoke.stdout.contains(setup.appDigest))
        #expect(try await PlinthBinary.run(["audit", "verify", "--db", setup.db]).status == 0)
    }
}
