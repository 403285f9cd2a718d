import ArgumentParser
import Foundation
import PlinthCatalog
import PlinthCore
import PlinthServer
import PlinthStore

/// `plinth surface DIGEST`: what each platform manifest exposes.
struct SurfaceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "surface",
        abstract: "Print the attack surface of a digest: each platform manifest's size, shells, package managers, setuid files, user, ports.",
        discussion: "Read at sync from the layers (whiteouts applied) and the config. Exits 2 when Plinth has never seen the digest.")

    @OptionGroup var target: DigestArgument
    @OptionGroup var store: StoreOptions
    @OptionGroup var server: ServerOptions
    @OptionGroup var output: OutputOptions

    typealias Answer = Components.Schemas.DigestSurface

    func run() async throws {
        let digest = try target.parsed()
        let answer: Answer = try await ReadSource.with(store, server) { source in
            switch source {
            case .local(let catalog):
                do { return try APIJSON.decode(Answer.self, from: try APIJSON.surface(try await catalog.surface(of: digest))) } catch let error as CatalogError {
                    throw History.NotFound(description: error.description)
                }
            case .remote(let remote): return try await remote.get("/v1/digests/\(digest)/surface", as: Answer.self)
            }
        }
        if output.json {
            Output.write(String(decoding: try APIJSON.encode(answer), as: UTF8.self))
            return
        }
        var blocks: [String] = []
        for item in answer.platforms {
            var lines = ["\(item.platform ?? "platform unknown")  \(item.manifest)"]
            guard let s = item.surface else {
                blocks.append((lines + ["  not read: sync has not read this manifest's layers"]).joined(separator: "\n"))
                continue
            }
            func list(_ values: [String]) -> String { values.isEmpty ? "none" : values.joined(separator: ", ") }
            var rows = [
                ["size", "\(Self.megabytes(s.compressedBytes)) compressed, \(Self.megabytes(s.uncompressedBytes)) uncompressed, \(s.layers) layers, \(s.files) files"],
                ["shells", list(s.shells)], ["package managers", list(s.packageManagers)], ["setuid", list(s.setuid)], ["setgid", list(s.setgid)],
                ["world-writable", list(s.worldWritable)], ["user", s.user + (s.runsAsRoot ? " (runs as root)" : "")], ["ports", list(s.exposedPorts)],
            ]
            if let entrypoint = s.entrypoint { rows.append(["entrypoint", entrypoint.joined(separator: " ")]) }
            if let cmd = s.cmd { rows.append(["cmd", cmd.joined(separator: " ")]) }
            rows.append(["healthcheck", s.healthcheck ? "yes" : "no"])
            lines += Output.table(rows).split(separator: "\n").map { "  " + $0 }
            blocks.append(lines.joined(separator: "\n"))
        }
        Output.write(blocks.joined(separator: "\n\n"))
    }

    static func megabytes(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1_000_000) }
}
