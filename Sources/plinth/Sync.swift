import ArgumentParser
import Foundation
import Logging
import PlinthCatalog
import PlinthCore
import PlinthRegistry
import PlinthStore

/// Registry access options shared by `sync` and `serve`.
struct RegistryOptions: ParsableArguments {
    @Option(
        name: .customLong("insecure-registry"),
        help: ArgumentHelp("Reach this registry (host[:port]) over plain HTTP; repeatable. Also PLINTH_INSECURE_REGISTRIES (comma-separated). Loopback registries always are.", valueName: "host"))
    var insecureRegistries: [String] = []

    @Option(
        name: .customLong("registry-ca"),
        help: ArgumentHelp("A PEM file of certificate authorities to trust for registries' TLS, besides the system's; repeatable. Also PLINTH_REGISTRY_CA.", valueName: "file"))
    var registryCAs: [String] = []

    @Option(help: "Tags synced at once.")
    var concurrency = 16

    @Flag(help: "Do not read new digests' layers for their OS and packages (faster; no advisories for them).")
    var skipPackages = false

    @Option(
        name: .customLong("trusted-root"),
        help: ArgumentHelp(
            "A Sigstore trusted_root.json to verify keyless signatures against, instead of the public-good root built in (dated 2025-10-21).",
            valueName: "file"))
    var trustedRootFile: String?

    /// The root keyless signatures are checked against: the file named, else the built-in one.
    func trustedRoot() throws -> SigstoreTrustedRoot {
        guard let trustedRootFile else { return try SigstoreTrustedRoot.publicGood() }
        guard let data = FileManager.default.contents(atPath: trustedRootFile) else { throw ValidationError("--trusted-root '\(trustedRootFile)': cannot read it") }
        do { return try SigstoreTrustedRoot(json: data) } catch { throw ValidationError("--trusted-root '\(trustedRootFile)': \(error)") }
    }

    func validate() throws {
        guard (1...256).contains(concurrency) else { throw ValidationError("--concurrency must be from 1 to 256") }
        for file in trustRoots where !FileManager.default.isReadableFile(atPath: file) {
            throw ValidationError("--registry-ca '\(file)': cannot read it")
        }
    }

    var trustRoots: [String] {
        registryCAs + [ProcessInfo.processInfo.environment["PLINTH_REGISTRY_CA"]].compactMap { $0 }.filter { !$0.isEmpty }
    }

    func makeClient() throws -> RegistryClient {
        var configuration = RegistryConfiguration()
        let fromEnvironment = (ProcessInfo.processInfo.environment["PLINTH_INSECURE_REGISTRIES"] ?? "")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        configuration.insecureRegistries = Set(insecureRegistries + fromEnvironment)
        configuration.readPackages = !skipPackages
        configuration.additionalTrustRoots = trustRoots
        return RegistryClient(configuration: configuration, credentials: try DockerConfigCredentials.load())
    }
}

struct Sync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one sync pass: resolve every tracked tag and record what it points at.",
        discussion: """
            Prints a line per tag as it finishes and a summary. Exits 1 when any tag failed (each \
            named on stderr); every other tag is still recorded. Credentials come from the Docker \
            config (DOCKER_CONFIG or ~/.docker/config.json, including credential helpers).

            With --rescan, instead reads again the layers of every platform manifest the catalog \
            has seen without a surface report (seeded snapshots, digests synced before Plinth \
            kept one) and keeps the report; exits 1 when any could not be read.
            """
    )

    @Option(help: ArgumentHelp("Sync only this entry (repeatable).", valueName: "name"))
    var image: [String] = []

    @Flag(help: "Read the surface report of every known platform manifest that has none, instead of resolving tags.")
    var rescan = false

    @OptionGroup var registry: RegistryOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    struct Failed: CommandLineFailure {
        var tags: [TagSyncOutcome]
        var description: String {
            "\(tags.count) tag\(tags.count == 1 ? "" : "s") failed to sync; each keeps its last good digest\n"
                + tags.map { outcome in
                    if case .failed(let reason) = outcome.result { return "  \(outcome.repository):\(outcome.tag): \(reason)" }
                    return ""
                }.joined(separator: "\n")
        }
    }

    func run() async throws {
        if let bad = image.first(where: { !CatalogEntry.isValidName($0) }) { throw ValidationError("'\(bad)' is not an entry name") }
        let catalog = try await store.catalog(trustedRoot: try registry.trustedRoot())
        let client = try registry.makeClient()
        let json = output.json
        if rescan {
            try await self.rescan(catalog, client: client)
            return
        }
        let outcomes: [TagSyncOutcome]
        do {
            outcomes = try await catalog.sync(using: client, images: image, concurrency: registry.concurrency, logger: Logger(label: "plinth.sync")) { outcome in
                if !json { Output.write(Self.line(outcome)) }
            }
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
        let failed = outcomes.filter(\.failed)
        let moved = outcomes.filter { if case .moved = $0.result { return true } else { return false } }
        if json {
            let object: [String: Any] = [
                "tags": outcomes.count, "unchanged": outcomes.count - moved.count - failed.count, "moved": moved.count, "failed": failed.count,
                "failures": failed.map { outcome -> [String: String] in
                    if case .failed(let reason) = outcome.result { return ["repository": outcome.repository, "tag": outcome.tag, "reason": reason] }
                    return [:]
                },
            ]
            Output.write(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self))
        } else {
            Output.write("\(outcomes.count) tags: \(outcomes.count - moved.count - failed.count) unchanged, \(moved.count) moved, \(failed.count) failed")
        }
        if !failed.isEmpty {
            FileHandle.standardError.write(Data("plinth: \(Failed(tags: failed))\n".utf8))
            throw ExitCode(1)
        }
    }

    func rescan(_ catalog: Catalog, client: RegistryClient) async throws {
        if registry.skipPackages { throw ValidationError("--rescan reads layers; it cannot be combined with --skip-packages") }
        let json = output.json
        let outcomes: [RescanOutcome]
        do {
            outcomes = try await catalog.rescanSurfaces(using: client, images: image, logger: Logger(label: "plinth.sync")) { outcome in
                guard !json else { return }
                let name = "\(outcome.image)  \(outcome.manifest)" + (outcome.platform.map { "  \($0)" } ?? "")
                switch outcome.result {
                case .read(let report):
                    Output.write("\(name)  read  \(report.files) files, \(SurfaceRules.megabytes(report.uncompressedBytes)), shells: \(report.shells.count), setuid: \(report.setuid.count)")
                case .failed(let reason): Output.write("\(name)  FAILED  \(reason)")
                }
            }
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
        let failed = outcomes.filter { if case .failed = $0.result { return true } else { return false } }
        if json {
            let object: [String: Any] = [
                "manifests": outcomes.count, "read": outcomes.count - failed.count, "failed": failed.count,
                "failures": failed.map { outcome -> [String: String] in
                    if case .failed(let reason) = outcome.result { return ["image": outcome.image, "manifest": outcome.manifest.description, "reason": reason] }
                    return [:]
                },
            ]
            Output.write(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self))
        } else {
            Output.write("\(outcomes.count) manifest\(outcomes.count == 1 ? "" : "s") without a surface report: \(outcomes.count - failed.count) read, \(failed.count) failed")
        }
        if !failed.isEmpty {
            FileHandle.standardError.write(Data("plinth: \(failed.count) manifest\(failed.count == 1 ? "" : "s") could not be read; run --rescan again once the registry answers\n".utf8))
            throw ExitCode(1)
        }
    }

    static func line(_ outcome: TagSyncOutcome) -> String {
        let name = "\(outcome.image)  \(outcome.repository):\(outcome.tag)"
        switch outcome.result {
        case .unchanged(let digest): return "\(name)  unchanged  \(digest)"
        case .moved(let to, let from, let approved, let flags):
            var text = "\(name)  \(from == nil ? "first seen" : "moved")  \(to)  \(approved ? "approved" : "pending")"
            if !flags.isEmpty { text += "  flags: \(flags.joined(separator: ", "))" }
            return text
        case .failed(let reason): return "\(name)  FAILED  \(reason)"
        }
    }
}
