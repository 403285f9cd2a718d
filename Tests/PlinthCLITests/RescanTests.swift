import Foundation
import PlinthCore
import PlinthTestSupport
import Testing

/// `plinth sync --rescan`: digests synced without reading their layers (here `--skip-packages`;
/// a seeded snapshot or an older Plinth is the same) get their surface report from the
/// registry, once; a manifest the registry no longer serves is reported and the command fails.
@Suite("plinth sync --rescan", .serialized)
struct RescanTests {
    @Test func manifestsWithoutASurfaceReportAreReadOnceAndAFailureIsNamed() async throws {
        let registries = try await TestRegistries.shared()
        let repository = "fixtures/rescan-\(UUID().uuidString.lowercased().prefix(8))"
        try await registries.push("amd64", to: registries.anonymous, repository: repository, tag: "v1")
        let dir = try Fixtures.directory(["catalog/base.yaml": Fixtures.baseEntry(repository: "\(registries.anonymous)/\(repository)")])
        let db = try await TestBackend.newLocation(in: dir)
        #expect(try await PlinthBinary.run(["apply", dir.appendingPathComponent("catalog").path, "--db", db]).status == 0)
        let sync = try await PlinthBinary.run(["sync", "--skip-packages", "--db", db])
        #expect(sync.status == 0, "\(sync.stdout)\(sync.stderr)")
        let digest = Digest.compute(.sha256, of: Array(try await registries.rawManifest(registries.anonymous, repository, "v1"))).description

        let before = try await PlinthBinary.run(["surface", digest, "--db", db])
        #expect(before.stdout.contains("not read"), "\(before.stdout)")
        #expect(try await PlinthBinary.run(["sync", "--rescan", "--skip-packages", "--db", db]).status != 0, "--rescan reads layers")

        let rescan = try await PlinthBinary.run(["sync", "--rescan", "--json", "--db", db])
        #expect(rescan.status == 0, "\(rescan.stdout)\(rescan.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(rescan.stdout.utf8)) as? [String: Any])
        #expect(summary["manifests"] as? Int == 1 && summary["read"] as? Int == 1 && summary["failed"] as? Int == 0)
        let after = try await PlinthBinary.run(["surface", digest, "--json", "--db", db])
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(after.stdout.utf8)) as? [String: Any])
        let surface = try #require((answer["platforms"] as? [[String: Any]])?.first?["surface"] as? [String: Any], "\(after.stdout)")
        let manifest = try #require(try JSONSerialization.jsonObject(with: try await registries.rawManifest(registries.anonymous, repository, "v1")) as? [String: Any])
        #expect(surface["layers"] as? Int == (manifest["layers"] as? [Any])?.count)
        #expect(surface["compressed_bytes"] as? Int == (manifest["layers"] as? [[String: Any]])?.compactMap { $0["size"] as? Int }.reduce(0, +))

        // Nothing is left to read: a second rescan reads nothing.
        let again = try await PlinthBinary.run(["sync", "--rescan", "--db", db])
        #expect(again.status == 0 && again.stdout.contains("0 manifests without a surface report"), "\(again.stdout)")

        // A registry that is gone (another image: a digest whose report is known is not read again): its manifest is named as failed, the command exits 1.
        let (address, pid) = try await TestRegistries.startSingle()
        try await registries.push("arm64", to: address, repository: "gone/base", tag: "v1")
        let gone = try Fixtures.directory([
            "catalog/gone.yaml": Fixtures.baseEntry(repository: "\(address)/gone/base").replacingOccurrences(of: "name: fixture-base", with: "name: gone-base")
                .replacingOccurrences(of: "linux/amd64", with: "linux/arm64")
        ])
        #expect(try await PlinthBinary.run(["apply", gone.appendingPathComponent("catalog").path, "--db", db]).status == 0)
        #expect(try await PlinthBinary.run(["sync", "--skip-packages", "--image", "gone-base", "--db", db]).status == 0)
        TestRegistries.kill(pid)
        let failed = try await PlinthBinary.run(["sync", "--rescan", "--db", db])
        #expect(failed.status == 1, "\(failed.stdout)\(failed.stderr)")
        #expect(failed.stdout.contains("gone-base") && failed.stdout.contains("FAILED"), "\(failed.stdout)")
        #expect(failed.stdout.contains("1 manifest without a surface report: 0 read, 1 failed") && failed.stderr.contains("could not be read"))
    }
}
