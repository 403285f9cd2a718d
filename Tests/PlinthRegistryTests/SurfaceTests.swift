import Foundation
import PlinthCore
import PlinthTestSupport
import Testing

@testable import PlinthRegistry

/// The surface report of layers made by GNU tar from a root filesystem on disk, compared with
/// what find and ls say about that filesystem: a base with shells, a package manager and
/// setuid files, then a layer that removes the shells and the package manager by whiteouts.
@Suite("Surface report")
struct SurfaceTests {
    /// Runs a shell script; its stdout.
    static func sh(_ script: String) async throws -> String {
        let (ok, stdout, stderr) = try await TestRegistries.capture("bash", ["-euo", "pipefail", "-c", script])
        guard ok else { throw TestRegistries.StartError(description: "\(script): \(stderr)") }
        return String(decoding: stdout, as: UTF8.self)
    }

    static func entries(_ tarball: String) throws -> [TarReader.Entry] {
        var reader = TarReader(maxFileBytes: 1 << 20, wanted: RegistryClient.isWanted)
        try reader.feed(try Data(contentsOf: URL(fileURLWithPath: tarball)))
        return reader.entries
    }

    @Test func theReportSaysWhatFindAndLsSayOfTheSameFilesystem() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-surface-\(UUID().uuidString)").path
        // A merged-/usr root as Debian lays it out: bin -> usr/bin, sh -> dash; su and passwd
        // setuid root, a setgid tool, a world-writable file and the sticky tmp.
        _ = try await Self.sh(
            """
            mkdir -p \(root)/base/usr/bin \(root)/base/usr/sbin \(root)/base/etc \(root)/base/tmp
            cd \(root)/base
            ln -s usr/bin bin && ln -s usr/sbin sbin
            printf '#!shell\\n' > usr/bin/dash && printf '#!shell\\n' > usr/bin/bash && ln -s dash usr/bin/sh
            printf 'apt\\n' > usr/bin/apt && printf 'dpkg\\n' > usr/bin/dpkg && printf 'su\\n' > usr/bin/su && printf 'pw\\n' > usr/bin/passwd
            printf 'expiry\\n' > usr/bin/expiry && printf 'log\\n' > etc/shared.log && printf 'ok\\n' > usr/bin/true
            chmod 0755 usr/bin/*  && chmod 4755 usr/bin/su usr/bin/passwd && chmod 2755 usr/bin/expiry && chmod 0666 etc/shared.log && chmod 1777 tmp
            tar --numeric-owner --sort=name -cf \(root)/layer1.tar .
            # The purge layer: the shells and apt gone, as whiteouts (umoci and docker write these).
            mkdir -p \(root)/purge/usr/bin && cd \(root)/purge
            for f in dash bash sh apt dpkg; do : > usr/bin/.wh.$f; done
            tar --numeric-owner --sort=name -cf \(root)/layer2.tar .
            # The same filesystem with the purge applied, for find and ls.
            cp -a \(root)/base \(root)/final && rm \(root)/final/usr/bin/{dash,bash,sh,apt,dpkg}
            """)
        let config = Array(#"{"config":{"User":"","ExposedPorts":{"8080/tcp":{}},"Cmd":["bash"]}}"#.utf8)

        var merged = MergedLayers()
        merged.apply(try Self.entries("\(root)/layer1.tar"))
        let base = Surface.report(files: merged.tree, layers: 1, compressedBytes: 0, uncompressedBytes: 0, config: config)
        func find(_ tree: String, _ test: String) async throws -> [String] {
            try await Self.sh("cd \(root)/\(tree) && find . \(test) | sed 's|^\\.||' | sort").split(separator: "\n").map(String.init)
        }
        #expect(base.setuid == (try await find("base", "-type f -perm -4000")))
        #expect(base.setuid == ["/usr/bin/passwd", "/usr/bin/su"])
        #expect(base.setgid == (try await find("base", "-type f -perm -2000")))
        #expect(base.worldWritable == (try await find("base", "-type f -perm -0002")))
        #expect(base.files == (try await find("base", "! -type d")).count)
        // Shells by the paths a shell is looked for at, each file once: /bin/sh is dash.
        #expect(base.shells == ["/bin/sh", "/bin/bash"], "\(base.shells)")
        #expect(try await Self.sh("readlink -f \(root)/base/bin/sh") == "\(root)/base/usr/bin/dash\n")
        #expect(base.packageManagers == ["/bin/apt", "/bin/dpkg"])
        #expect(base.user == "root" && base.runsAsRoot)
        #expect(base.exposedPorts == ["8080/tcp"])
        #expect(base.cmd == ["bash"] && base.entrypoint == nil && !base.healthcheck)

        merged.apply(try Self.entries("\(root)/layer2.tar"))
        let purged = Surface.report(
            files: merged.tree, layers: 2, compressedBytes: 0, uncompressedBytes: 0,
            config: Array(#"{"config":{"User":"10001:10001","Healthcheck":{"Test":["CMD","/usr/bin/true"]}}}"#.utf8))
        #expect(purged.shells.isEmpty, "\(purged.shells)")
        #expect(purged.packageManagers.isEmpty)
        #expect(purged.setuid == (try await find("final", "-type f -perm -4000")))
        #expect(purged.files == (try await find("final", "! -type d")).count)
        #expect(try await Self.sh("ls \(root)/final/usr/bin | tr '\\n' ' '") == "expiry passwd su true ")
        #expect(purged.user == "10001:10001" && !purged.runsAsRoot && purged.healthcheck)
        try? FileManager.default.removeItem(atPath: root)
    }

    @Test func aSymlinkLoopOrADanglingLinkIsNoShell() {
        let files: [String: Surface.File] = [
            "bin": .init(kind: .symlink, mode: 0o777, linkTarget: "bin"),
            "usr/bin/sh": .init(kind: .symlink, mode: 0o777, linkTarget: "/usr/bin/dash"),
            "usr/bin/busybox": .init(kind: .file, mode: 0o755),
        ]
        let report = Surface.report(files: files, layers: 1, compressedBytes: 0, uncompressedBytes: 0, config: [])
        #expect(report.shells == ["/usr/bin/busybox"])
        #expect(Surface.resolve("bin/sh", in: files) == nil)
    }
}
