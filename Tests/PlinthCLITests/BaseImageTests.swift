import Foundation
import PlinthCore
import PlinthTestSupport
import Testing

/// `plinth check --image`: the base of a built application image, on the real test registry.
@Suite("plinth check --image", .serialized)
struct BaseImageTests {
    @Test(arguments: ReadTarget.allCases) func theBaseIsFoundByItsLayersAndARebuildIsCalledForWhenTheBaseTagMoves(_ target: ReadTarget) async throws {
        let registries = try await TestRegistries.shared()
        let suffix = UUID().uuidString.lowercased().prefix(8)
        let base = "fixtures/base-\(suffix)", app = "fixtures/app-\(suffix)"
        try await registries.push("amd64", to: registries.anonymous, repository: base, tag: "v1")
        try await registries.push("app", to: registries.anonymous, repository: app, tag: "plain")
        try await registries.push("app-annotated", to: registries.anonymous, repository: app, tag: "annotated")
        let dir = try Fixtures.directory([
            "catalog/base.yaml": Fixtures.baseEntry(repository: "\(registries.anonymous)/\(base)")
        ])
        let db = try await TestBackend.newLocation(in: dir)
        #expect(try await PlinthBinary.run(["apply", dir.appendingPathComponent("catalog").path, "--db", db]).status == 0)
        let sync = try await PlinthBinary.run(["sync", "--db", db])
        #expect(sync.status == 0, "\(sync.stdout)\(sync.stderr)")
        let reader = try await target.open(db)
        defer { reader.stop() }
        let baseDigest = Digest.compute(.sha256, of: Array(try await registries.rawManifest(registries.anonymous, base, "v1"))).description

        for tag in ["plain", "annotated"] {
            let check = try await PlinthBinary.run(["check"] + reader.arguments + ["--json", "--image", "\(registries.anonymous)/\(app):\(tag)"])
            #expect(check.status == 0, "\(tag): \(check.stdout)\(check.stderr)")
            let result = try #require(((try JSONSerialization.jsonObject(with: Data(check.stdout.utf8)) as? [String: Any])?["results"] as? [[String: Any]])?.first)
            #expect(result["digest"] as? String == baseDigest, "\(tag)")
            #expect(result["verdict"] as? String == "approved")
            #expect((result["reason"] as? String)?.hasPrefix("built on fixture-base") == true)
        }

        // The base tag moves; the application image was built on the old digest.
        try await registries.push("amd64-next", to: registries.anonymous, repository: base, tag: "v1")
        #expect(try await PlinthBinary.run(["sync", "--db", db]).status == 0)
        // A server sees another process's change within a second (README: caches).
        if target == .server { try await Task.sleep(for: .milliseconds(1500)) }
        // Its base is superseded and in grace: it passes, as a pinned FROM of that digest does,
        // and says a rebuild is needed; --fail-on-rebuild fails it.
        let stale = try await PlinthBinary.run(["check"] + reader.arguments + ["--json", "--image", "\(registries.anonymous)/\(app):annotated"])
        #expect(stale.status == 0, "\(stale.stdout)\(stale.stderr)")
        let staleResult = try #require(((try JSONSerialization.jsonObject(with: Data(stale.stdout.utf8)) as? [String: Any])?["results"] as? [[String: Any]])?.first)
        #expect(staleResult["verdict"] as? String == "superseded")
        #expect(staleResult["rebuild_needed"] as? Bool == true)
        #expect((staleResult["reason"] as? String)?.contains("rebuild needed") == true)
        let strict = try await PlinthBinary.run(["check"] + reader.arguments + ["--fail-on-rebuild", "--image", "\(registries.anonymous)/\(app):annotated"])
        #expect(strict.status == 1)
        #expect(strict.stdout.contains("rebuild needed"))

        // An image whose layers match no cataloged base, and a malformed reference.
        let other = try await PlinthBinary.run(["check"] + reader.arguments + ["--image", "\(registries.anonymous)/fixtures/docker-manifest:v1"])
        #expect(other.status == 1)
        #expect(other.stdout.contains("no cataloged base"))
        let bad = try await PlinthBinary.run(["check"] + reader.arguments + ["--image", "UPPER/Case"])
        #expect(bad.status == 2)
    }
}
