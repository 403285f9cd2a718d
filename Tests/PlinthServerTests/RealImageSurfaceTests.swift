import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import PlinthCatalog
import PlinthCore
import PlinthRegistry
import PlinthTestSupport
import Prometheus
import Testing

@testable import PlinthServer

/// The surface report of real images, made by tools nobody here wrote (mmdebstrap, dpkg, umoci,
/// gcc; `scripts/test-registries/real-images.sh`), pushed by skopeo to the real test registry
/// and synced, against what find, ls, readlink and skopeo say of the same root filesystems; and
/// an entry whose rules forbid a shell holding its tag back when it moves to one.
@Suite("Surface of real images", .serialized)
struct RealImageSurfaceTests {
    static func sh(_ script: String) async throws -> String {
        let (ok, stdout, stderr) = try await TestRegistries.capture("bash", ["-euo", "pipefail", "-c", script])
        guard ok else { throw TestRegistries.StartError(description: "\(script): \(stderr)") }
        return String(decoding: stdout, as: UTF8.self)
    }

    static func lines(_ text: String) -> [String] { text.split(separator: "\n").map(String.init) }

    static func entry(_ name: String, repository: String, surface: String? = nil) -> String {
        #"""
        {"name":"\#(name)","title":"Real image","repository":"\#(repository)","tags":["v1"],"status":"approved",
         "os":{"family":"debian","version":"12"},"platforms":["linux/amd64"],"workloads":[],"owner":"tests",
         "rationale":"Built by mmdebstrap, dpkg and umoci.","approval":{"policy":"automatic","grace_days":7}\#(surface.map { ",\"surface\":\($0)" } ?? "")}
        """#
    }

    /// Where each binary name resolves in the root filesystem, as readlink (run inside it) says:
    /// the first path per file, names in order, folders in order.
    static func present(_ names: [String], rootfs: String) async throws -> [String] {
        let folders = ["bin", "usr/bin", "sbin", "usr/sbin", "usr/local/bin", "usr/local/sbin"]
        guard FileManager.default.fileExists(atPath: rootfs + "/usr/bin/readlink") else {
            // No readlink, no usr/bin: ls says what is there.
            let listing = try await sh("cd \(rootfs) && ls -A")
            return names.filter { lines(listing).contains($0) }.map { "/" + $0 }
        }
        let script = names.flatMap { name in folders.map { "/\($0)/\(name)" } }
            .map { "if [ -e \(rootfs)\($0) ]; then echo \"$(chroot \(rootfs) /usr/bin/readlink -f \($0)) \($0)\"; fi" }.joined(separator: "\n")
        return try await sh(script + "\ntrue").split(separator: "\n").reduce(into: ([String](), Set<String>())) { acc, line in
            let parts = line.split(separator: " ")
            if acc.1.insert(String(parts[0])).inserted { acc.0.append(String(parts[1])) }
        }.0
    }

    @Test func eachReportSaysWhatFindLsAndTheConfigSayOfTheSameRootFilesystem() async throws {
        let folder = try await RealImages.folder()
        let registries = try await TestRegistries.shared()
        let database = try await TestDatabase()
        let catalog = database.catalog()
        let logger = Logger(label: "test.real-images")
        for name in RealImages.names {
            let repository = "real/\(name)-\(UUID().uuidString.lowercased().prefix(8))"
            try await RealImages.push(name, to: registries.anonymous, repository: repository, tag: "v1")
            _ = try await catalog.createImage(
                document: Data(Self.entry("real-\(name)", repository: "\(registries.anonymous)/\(repository)").utf8), actor: "setup", reason: nil)
        }
        let client = RegistryClient()
        let outcomes = try await catalog.sync(using: client, logger: logger)
        try await client.shutdown()
        #expect(outcomes.allSatisfy { !$0.failed }, "\(outcomes)")

        var reports: [String: SurfaceReport] = [:]
        for name in RealImages.names {
            let digest = try #require(try await database.store.history(of: "real-\(name)").first?.digest)
            let surface = try await catalog.surface(of: digest)
            let report = try #require(surface.platforms.first?.report, "\(name) has no surface report")
            reports[name] = report
            let rootfs = "\(folder)/rootfs/\(name)"
            func find(_ test: String) async throws -> [String] {
                Self.lines(try await Self.sh("cd \(rootfs) && find . -xdev \(test) | sed 's|^\\.||' | LC_ALL=C sort")).sorted()
            }
            #expect(report.setuid == (try await find("-type f -perm -4000")), "\(name) setuid")
            #expect(report.setgid == (try await find("-type f -perm -2000")), "\(name) setgid")
            #expect(report.worldWritable == (try await find("-type f -perm -0002")), "\(name) world-writable")
            #expect(report.files == (try await find("! -type d")).count, "\(name) files")
            #expect(report.shells == (try await Self.present(Surface.shellNames, rootfs: rootfs)), "\(name) shells")
            #expect(report.packageManagers == (try await Self.present(Surface.packageManagerNames, rootfs: rootfs)), "\(name) package managers")

            // The config and the blobs, as skopeo reads them from the layout.
            let config = try #require(
                try JSONSerialization.jsonObject(with: Data(try await Self.sh("skopeo inspect --config oci:\(folder)/oci:\(name)").utf8)) as? [String: Any])
            let settings = config["config"] as? [String: Any] ?? [:]
            let user = (settings["User"] as? String) ?? ""
            #expect(report.user == (user.isEmpty ? "root" : user))
            #expect(report.exposedPorts == ((settings["ExposedPorts"] as? [String: Any])?.keys.sorted() ?? []))
            #expect(report.entrypoint == settings["Entrypoint"] as? [String])
            let manifest = try #require(
                try JSONSerialization.jsonObject(with: Data(try await Self.sh("skopeo inspect --raw oci:\(folder)/oci:\(name)").utf8)) as? [String: Any])
            let layers = try #require(manifest["layers"] as? [[String: Any]])
            #expect(report.layers == layers.count)
            #expect(report.compressedBytes == layers.compactMap { $0["size"] as? Int }.reduce(0, +))
            let blobs = layers.compactMap { ($0["digest"] as? String)?.split(separator: ":").last }.map { "\(folder)/oci/blobs/sha256/\($0)" }
            let sizes = try await Self.sh(blobs.map { "gzip -dc \($0) | wc -c" }.joined(separator: "; "))
            #expect(report.uncompressedBytes == Self.lines(sizes).compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.reduce(0, +))
        }

        // What that means for each: the minbase has shells, apt and dpkg's setuid files; the
        // purge layer's whiteouts leave no shell and no apt (dpkg stays); the static image has
        // one file, no shell, and runs as 65532.
        let minbase = try #require(reports["minbase"]), purged = try #require(reports["purged"]), scratch = try #require(reports["static"])
        #expect(minbase.shells.contains("/bin/sh") && minbase.shells.contains("/bin/bash"), "\(minbase.shells)")
        #expect(minbase.packageManagers.contains("/bin/apt") && minbase.packageManagers.contains("/bin/dpkg"), "\(minbase.packageManagers)")
        #expect(minbase.setuid.contains("/usr/bin/su") && minbase.setuid.contains("/usr/bin/passwd"), "\(minbase.setuid)")
        #expect(minbase.runsAsRoot && minbase.layers == 1)
        #expect(purged.shells.isEmpty, "\(purged.shells)")
        #expect(!purged.packageManagers.contains { $0.hasSuffix("/apt") || $0.hasSuffix("/apt-get") }, "\(purged.packageManagers)")
        #expect(purged.packageManagers.contains("/bin/dpkg") && purged.layers == 2)
        #expect(try await Self.sh("ls \(folder)/rootfs/purged/usr/bin/sh \(folder)/rootfs/purged/usr/bin/bash 2>&1 || true").contains("No such file"))
        #expect(scratch.shells.isEmpty && scratch.packageManagers.isEmpty && scratch.setuid.isEmpty)
        #expect(scratch.files == 1 && scratch.user == "65532:65532" && !scratch.runsAsRoot)
        #expect(scratch.entrypoint == ["/hello"] && scratch.exposedPorts == ["8080/tcp"])
    }

    @Test func aTagMovingToADigestWithAShellStaysOnTheOldOneAndTheNewOneWaitsNamingTheFile() async throws {
        let registries = try await TestRegistries.shared()
        let database = try await TestDatabase()
        let catalog = database.catalog()
        let logger = Logger(label: "test.real-images")
        let repository = "real/rules-\(UUID().uuidString.lowercased().prefix(8))"
        try await RealImages.push("static", to: registries.anonymous, repository: repository, tag: "v1")
        _ = try await catalog.createImage(
            document: Data(
                Self.entry(
                    "minimal", repository: "\(registries.anonymous)/\(repository)",
                    surface: #"{"shell":"forbidden","package_manager":"forbidden","non_root":"required","setuid":"forbidden","max_size_mb":5}"#
                ).utf8),
            actor: "setup", reason: nil)
        let client = RegistryClient()
        let first = try await catalog.sync(using: client, logger: logger)
        guard case .moved(let scratch, _, let approved, let flags) = first.first?.result else { Issue.record("\(first)"); return }
        #expect(approved && flags.isEmpty, "\(flags)")

        // The tag moves to the minbase: a shell, and root.
        try await RealImages.push("minbase", to: registries.anonymous, repository: repository, tag: "v1")
        let second = try await catalog.sync(using: client, logger: logger)
        try await client.shutdown()
        guard case .moved(let minbase, let from, let approvedAgain, let held) = second.first?.result else { Issue.record("\(second)"); return }
        #expect(from == scratch && !approvedAgain)
        #expect(held.contains { $0.hasPrefix("surface shell: forbidden: /bin/sh") }, "\(held)")
        #expect(held.contains("surface non_root: required: User root"), "\(held)")
        // Every other rule, each naming what breaks it: apt and dpkg, su and passwd, the size.
        let packageManagers = held.first { $0.hasPrefix("surface package_manager: forbidden: ") } ?? ""
        #expect(packageManagers.contains("/bin/apt") && packageManagers.contains("/bin/dpkg"), "\(held)")
        let setuid = held.first { $0.hasPrefix("surface setuid: forbidden: ") } ?? ""
        #expect(setuid.contains("/usr/bin/su") && setuid.contains("/usr/bin/passwd"), "\(held)")
        #expect(held.contains { $0.hasPrefix("surface max_size_mb: 5: ") && $0.hasSuffix("MB uncompressed") }, "\(held)")
        #expect(try await catalog.lookup(minbase).verdict.verdict == .pending)
        let (_, tags) = try await catalog.history(named: "minimal")
        #expect(tags.first?.currentDigest == scratch)

        // Through the API and the pages: the flag on the history, the move's surface diff, the
        // minbase's surface on its digest page.
        let app = Application(router: try PlinthApplication.router(catalog: catalog, metrics: PrometheusCollectorRegistry()))
        try await app.test(.router) { client in
            let history = try await client.execute(uri: "/v1/images/minimal/history", method: .get)
            #expect(String(buffer: history.body).contains("surface shell: forbidden: /bin/sh"))
            let diff = try await client.execute(uri: "/v1/diff?from=\(scratch)&to=\(minbase)", method: .get)
            let body = try #require(try JSONSerialization.jsonObject(with: Data(buffer: diff.body)) as? [String: Any])
            let summary = try #require(body["summary"] as? String)
            #expect(summary.contains("adds shell /bin/sh"), "\(summary)")
            #expect(summary.contains("adds setuid /usr/bin/") && summary.contains("runs as root (was 65532:65532)") && summary.contains("grows"), "\(summary)")
            let change = try #require((body["surface"] as? [[String: Any]])?.first)
            #expect((change["shells_added"] as? [String])?.first == "/bin/sh")
            let page = String(buffer: try await client.execute(uri: "/digests/\(minbase)", method: .get).body)
            #expect(page.contains("Attack surface") && page.contains("<code>/bin/sh</code>") && page.contains("<code>/usr/bin/su</code>"))
            let image = String(buffer: try await client.execute(uri: "/images/minimal", method: .get).body)
            #expect(image.contains("Rules for new digests: shell forbidden, package manager forbidden, non-root user required, setuid files forbidden, at most 5 MB uncompressed"))
            // The changelog says what the move did to the surface.
            let changelog = String(buffer: try await client.execute(uri: "/v1/images/minimal/changelog", method: .get).body)
            #expect(changelog.contains("adds shell /bin/sh"), "\(changelog)")
            #expect(image.contains("65532:65532"), "the image page shows the current (static) digest's surface")
        }
        // plinth diff prints the same warnings.
        let diff = try await PlinthBinary.run(["diff", scratch.description, minbase.description, "--db", database.location])
        #expect(diff.stdout.contains("adds shell /bin/sh") && diff.stdout.contains("runs as root"), "\(diff.stdout)\(diff.stderr)")
    }
}
