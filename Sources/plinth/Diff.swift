import ArgumentParser
import Foundation
import PlinthCatalog
import PlinthCore
import PlinthServer
import PlinthStore

/// `plinth diff FROM TO`: why the digest changed.
struct Diff: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what changed between two digests: packages, advisories, platforms.")

    @Argument(help: ArgumentHelp("The earlier digest.", valueName: "from"))
    var from: String

    @Argument(help: ArgumentHelp("The later digest.", valueName: "to"))
    var to: String

    @OptionGroup var store: StoreOptions
    @OptionGroup var server: ServerOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let a: Digest, b: Digest
        do {
            a = try Digest(parsing: from)
            b = try Digest(parsing: to)
        } catch { throw ValidationError(error.description) }
        let diff: Components.Schemas.DigestDiff = try await ReadSource.with(store, server) { source in
            switch source {
            case .local(let catalog):
                do { return try APIJSON.decode(Components.Schemas.DigestDiff.self, from: try APIJSON.diff(try await catalog.diff(from: a, to: b))) } catch
                    let error as CatalogError
                { throw History.NotFound(description: error.description) }
            case .remote(let remote): return try await remote.get("/v1/diff?from=\(a)&to=\(b)", as: Components.Schemas.DigestDiff.self)
            }
        }
        if output.json {
            Output.write(String(decoding: try APIJSON.encode(diff), as: UTF8.self))
            return
        }
        var lines = [diff.summary]
        func list(_ title: String, _ changes: [Components.Schemas.PackageChange]) {
            guard !changes.isEmpty else { return }
            lines.append("\(title):")
            for c in changes {
                lines.append("  \(c.name)\(c.arch.map { ":\($0)" } ?? "")  \(c.from ?? "")\(c.from != nil && c.to != nil ? " -> " : "")\(c.to ?? "")")
            }
        }
        list("added", diff.added)
        list("removed", diff.removed)
        list("upgraded", diff.upgraded)
        list("downgraded", diff.downgraded)
        if !diff.advisoriesFixed.isEmpty { lines.append("advisories fixed: \(diff.advisoriesFixed.joined(separator: ", "))") }
        if !diff.advisoriesIntroduced.isEmpty { lines.append("advisories introduced: \(diff.advisoriesIntroduced.joined(separator: ", "))") }
        for change in diff.surface ?? [] {
            let on = change.platform.map { " (\($0))" } ?? ""
            var parts: [String] = []
            if !change.shellsAdded.isEmpty { parts.append("shells added \(change.shellsAdded.joined(separator: ", "))") }
            if !change.shellsRemoved.isEmpty { parts.append("shells removed \(change.shellsRemoved.joined(separator: ", "))") }
            if !change.packageManagersAdded.isEmpty { parts.append("package managers added \(change.packageManagersAdded.joined(separator: ", "))") }
            if !change.packageManagersRemoved.isEmpty { parts.append("package managers removed \(change.packageManagersRemoved.joined(separator: ", "))") }
            if !change.setuidAdded.isEmpty { parts.append("setuid added \(change.setuidAdded.joined(separator: ", "))") }
            if !change.setuidRemoved.isEmpty { parts.append("setuid removed \(change.setuidRemoved.joined(separator: ", "))") }
            if change.userFrom != change.userTo { parts.append("user \(change.userFrom) -> \(change.userTo)") }
            parts.append("size \(change.sizeChangePercent >= 0 ? "+" : "")\(change.sizeChangePercent)% uncompressed")
            lines.append("surface\(on): " + parts.joined(separator: "; "))
        }
        lines += (diff.notes ?? []).map { "note: \($0)" }
        Output.write(lines.joined(separator: "\n"))
    }
}
