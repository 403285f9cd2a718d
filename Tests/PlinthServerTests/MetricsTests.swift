import Foundation
import PlinthCore
import PlinthTestSupport
import Testing

/// `/metrics` of a running `plinth serve`, after a sync pass in which one registry fails, read
/// with prometheus_client's text parser (PyPI): each `plinth_*` series a platform owner alerts
/// on, with the values the run should give.
@Suite("Catalog metrics", .serialized)
struct PlinthMetricsTests {
    /// Reads exposition text from stdin with prometheus_client; prints {"name{label=value,...}": value}.
    static let parser = """
        import json, sys
        from prometheus_client.parser import text_string_to_metric_families
        out = {}
        for family in text_string_to_metric_families(sys.stdin.read()):
            for s in family.samples:
                labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
                out[f"{s.name}{{{labels}}}"] = s.value
        print(json.dumps(out))
        """

    static func scrape(_ server: ServeProcess, python: String) async throws -> [String: Double] {
        let (status, body) = try await server.get("/metrics")
        #expect(status == 200)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-metrics-\(UUID().uuidString).txt")
        try body.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let (ok, output) = try await TestRegistries.run("bash", ["-c", "\(python) -c '\(parser)' < \(file.path)"])
        guard ok, let parsed = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Double] else {
            throw TestRegistries.StartError(description: "prometheus_client could not parse /metrics: \(output)")
        }
        return parsed
    }

    @Test func afterASyncWithOneFailingRegistryEverySeriesHasItsValue() async throws {
        let registries = try await TestRegistries.shared()
        let python = try await TestRegistries.documentValidatorsPython()
        let repository = "fixtures/metrics-\(UUID().uuidString.lowercased().prefix(8))"
        try await registries.push("amd64", to: registries.anonymous, repository: repository, tag: "v1")
        let (gone, pid) = try await TestRegistries.startSingle()
        TestRegistries.kill(pid)
        let good = Fixtures.baseEntry(repository: "\(registries.anonymous)/\(repository)").replacingOccurrences(of: "policy: automatic", with: "policy: manual")
        let bad = Fixtures.baseEntry(repository: "\(gone)/gone/base").replacingOccurrences(of: "name: fixture-base", with: "name: gone-base")
        let hookPort = try await ServeProcess.freePort()
        let dir = try Fixtures.directory([
            "catalog/good.yaml": good, "catalog/bad.yaml": bad,
            "hooks.yaml": "webhooks:\n  - {name: chat, url: \"http://127.0.0.1:\(hookPort)/hook\", secret_env: HOOK_SECRET}\n",
        ])
        let db = try await TestBackend.newLocation(in: dir)
        #expect(try await PlinthBinary.run(["apply", dir.appendingPathComponent("catalog").path, "--db", db]).status == 0)
        let osv = TestRegistries.repositoryRoot.appendingPathComponent("Tests/PlinthCatalogTests/Fixtures/osv/alpine").path
        let imported = try await PlinthBinary.run(["advisories", "import", osv, "--db", db])
        #expect(imported.status == 0, "\(imported.stderr)")
        let token = try await PlinthBinary.run(["token", "create", "--role", "admin", "--name", "metrics", "--db", db]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let server = try await ServeProcess(
            db: db, arguments: ["--webhooks", dir.appendingPathComponent("hooks.yaml").path], environment: ["HOOK_SECRET": "metrics-test-secret-0123456789"])
        defer { server.stop() }
        let auth = ["-H", "Authorization: Bearer \(token)"]

        let sync = try await server.post("/v1/sync", json: Data(), headers: auth)
        #expect(sync.status == 200, "\(String(decoding: sync.body, as: UTF8.self))")
        // One audited change after the webhook started: its backlog, undeliverable (nothing listens).
        let review = try await server.post("/v1/images/fixture-base/review", json: Data(#"{"note":"metrics test"}"#.utf8), headers: auth)
        #expect(review.status == 201)
        let digest = Digest.compute(.sha256, of: Array(try await registries.rawManifest(registries.anonymous, repository, "v1"))).description

        // Scraping reads the catalog too (the review queue, warm after the first): warm it, then
        // the first lookup of a digest computes its answer once (one miss; the response cache and
        // the handler then ask again, hits), the second is answered from the cache.
        let warm = try await Self.scrape(server, python: python)
        let before = try await Self.scrape(server, python: python)
        #expect(before["plinth_verdict_cache_hits_total{}"] == warm["plinth_verdict_cache_hits_total{}"], "a warm scrape looks nothing up")
        _ = try await server.get("/v1/digests/\(digest)")
        _ = try await server.get("/v1/digests/\(digest)")
        let looked = try await Self.scrape(server, python: python)
        #expect((looked["plinth_verdict_cache_misses_total{}"] ?? 0) - (before["plinth_verdict_cache_misses_total{}"] ?? 0) == 1)
        #expect((looked["plinth_verdict_cache_hits_total{}"] ?? 0) - (before["plinth_verdict_cache_hits_total{}"] ?? 0) >= 1)

        let deadline = ContinuousClock.now + .seconds(20)
        var after = looked
        while (after["plinth_webhook_deliveries_failed_total{webhook=chat}"] ?? 0) < 1 || after["plinth_webhook_backlog_events{webhook=chat}"] != 1,
            ContinuousClock.now < deadline
        {
            try await Task.sleep(for: .milliseconds(200))
            after = try await Self.scrape(server, python: python)
        }

        let good127 = String(registries.anonymous), bad127 = String(gone)
        #expect(after["plinth_sync_passes_total{}"] == 1, "\(after.keys.sorted())")
        #expect(after["plinth_sync_pass_duration_seconds_count{}"] == 1)
        #expect(after["plinth_sync_tags_total{registry=\(good127),result=moved}"] == 1)
        #expect(after["plinth_sync_tags_total{registry=\(bad127),result=failed}"] == 1)
        let synced = try #require(after["plinth_entry_last_sync_success_timestamp_seconds{image=fixture-base}"])
        #expect(abs(synced - Date().timeIntervalSince1970) < 120)
        #expect(after["plinth_entry_last_sync_success_timestamp_seconds{image=gone-base}"] == nil, "a tag that never synced has no success time")
        #expect(after["plinth_digests_pending_review{}"] == 1, "the manual entry's digest waits")
        #expect(after["plinth_webhook_backlog_events{webhook=chat}"] == 1)
        #expect((after["plinth_webhook_deliveries_failed_total{webhook=chat}"] ?? 0) >= 1)

        // Advisories: as many as the folder holds records, the newest modified time among them.
        let (ok, facts) = try await TestRegistries.run(
            python,
            [
                "-c",
                "import json,glob,sys,datetime; r=[json.load(open(f)) for f in glob.glob(sys.argv[1]+'/*.json')]; "
                    + "print(len(r), max(datetime.datetime.fromisoformat(x['modified'].replace('Z','+00:00')).timestamp() for x in r))", osv,
            ])
        #expect(ok, "\(facts)")
        let parts = facts.split(separator: " ").map { Double(String($0).trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect(after["plinth_advisories{}"] == parts.first ?? nil)
        #expect(after["plinth_advisories_newest_modified_timestamp_seconds{}"] == parts.last ?? nil)
    }
}
