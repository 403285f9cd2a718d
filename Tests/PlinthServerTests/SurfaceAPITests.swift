import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import PlinthCatalog
import PlinthCore
import PlinthTestSupport
import Prometheus
import Testing

@testable import PlinthServer

/// The surface report through the whole path: a fixture image on the real test registry
/// (two layers, the second whiting out and replacing the first's files), synced, then
/// `GET /v1/digests/{digest}/surface`, against what skopeo, gzip and tar say of its blobs.
@Suite("Surface API", .serialized)
struct SurfaceAPITests {
    @Test func aSyncedImageHasTheSurfaceItsLayersSay() async throws {
        let registries = try await TestRegistries.shared()
        let logger = Logger(label: "test.surface")
        let (database, catalog, synced, failed) = try await registries.syncedFixture("debian-pkgs", os: ("ubuntu", "18.04"), logger: logger)
        #expect(failed == [false])
        let digest = try #require(synced)

        // The same image's blobs, copied by skopeo and read by gzip and tar.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-surface-\(UUID().uuidString)").path
        let copy = try await TestRegistries.run("skopeo", ["copy", "--quiet", "oci:\(registries.fixtures):debian-pkgs", "dir:\(folder)"])
        #expect(copy.0, "\(copy.1)")
        let manifest = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/manifest.json"))) as? [String: Any])
        let layers = try #require(manifest["layers"] as? [[String: Any]])
        let blobs = layers.compactMap { ($0["digest"] as? String)?.split(separator: ":").last.map { folder + "/" + $0 } }
        let compressed = layers.compactMap { $0["size"] as? Int }.reduce(0, +)
        let layerCount = layers.count
        // A layer is gzip or a plain tar (this fixture has one of each): its tar stream's size.
        let gzipped = layers.map { ($0["mediaType"] as? String ?? "").hasSuffix("gzip") }
        let (ok, sizes) = try await TestRegistries.run(
            "bash", ["-c", zip(blobs, gzipped).map { $1 ? "gzip -dc \($0) | wc -c" : "wc -c < \($0)" }.joined(separator: "; ")])
        #expect(ok)
        let uncompressed = sizes.split(separator: "\n").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.reduce(0, +)
        // What the upper layer leaves: tar lists each layer; the upper's whiteouts remove the lower's.
        let (_, listing) = try await TestRegistries.run("bash", ["-c", blobs.map { "tar -tf \($0); echo ---" }.joined(separator: "; ")])
        let lists = listing.components(separatedBy: "---\n").map { $0.split(separator: "\n").map(String.init) }
        #expect(lists.count >= 2)

        let app = Application(router: try PlinthApplication.router(catalog: catalog, metrics: PrometheusCollectorRegistry()))
        try await app.test(.router) { client in
            let response = try await client.execute(uri: "/v1/digests/\(digest)/surface", method: .get)
            #expect(response.status == .ok)
            let body = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
            #expect(body["digest"] as? String == digest.description)
            let platform = try #require((body["platforms"] as? [[String: Any]])?.first)
            #expect(platform["manifest"] as? String == digest.description)
            let surface = try #require(platform["surface"] as? [String: Any])
            #expect(surface["layers"] as? Int == layerCount)
            #expect(surface["compressed_bytes"] as? Int == compressed)
            #expect(surface["uncompressed_bytes"] as? Int == uncompressed)
            // Lower: os-release (a symlink and its file), dpkg's status and status-old, apk's
            // installed. Upper: apk's whited out, dpkg's folder made opaque, a new status.
            #expect(lists[0].sorted() == ["etc/os-release", "lib/apk/db/installed", "usr/lib/os-release", "var/lib/dpkg/status", "var/lib/dpkg/status-old"])
            #expect(surface["files"] as? Int == 3)
            #expect(surface["shells"] as? [String] == [])
            #expect(surface["setuid"] as? [String] == [])
            #expect(surface["world_writable"] as? [String] == [])
            #expect(surface["user"] as? String == "root")
            #expect(surface["runs_as_root"] as? Bool == true)

            let unknown = try await client.execute(uri: "/v1/digests/\(Fixtures.unknownDigest)/surface", method: .get)
            #expect(unknown.status == .notFound)
        }
        try? FileManager.default.removeItem(atPath: folder)
        _ = database
    }
}
