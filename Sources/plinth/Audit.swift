import ArgumentParser
import Foundation
import PlinthCatalog
import PlinthCore
import PlinthServer
import PlinthStore

/// `plinth audit verify`: checks the audit log's hash chain.
struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check the audit log.", subcommands: [Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify the audit log's hash chain; exit 1 naming the first event that does not verify.",
            discussion: """
                Every event carries the hash of the one before it, so an edited, deleted, inserted or \
                reordered event breaks the chain there. Deleting the newest events leaves a shorter \
                chain that verifies: keep the printed head hash somewhere else and compare.
                """)

        @OptionGroup var store: StoreOptions

        func run() async throws {
            let result = try await store.catalog().verifyAudit()
            switch result {
            case .valid(let events, let head):
                Output.write("audit log verifies: \(events) events, head \(head)")
            case .broken(let id, let reason):
                FileHandle.standardError.write(Data("plinth: audit log does not verify at event \(id): \(reason)\n".utf8))
                throw ExitCode(1)
            }
        }
    }
}

/// `plinth changelog NAME`: the story of one image.
struct Changelog: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the story of one image: digests seen, approved, revoked, held, with who and why.")

    @Argument(help: ArgumentHelp("Catalog entry name.", valueName: "name"))
    var name: String

    @OptionGroup var store: StoreOptions
    @OptionGroup var server: ServerOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard CatalogEntry.isValidName(name) else { throw ValidationError("'\(name)' is not an entry name ([a-z0-9][a-z0-9-]{1,62})") }
    }

    func run() async throws {
        let changelog: Components.Schemas.Changelog = try await ReadSource.with(store, server) { source in
            switch source {
            case .local(let catalog):
                do { return try APIJSON.decode(Components.Schemas.Changelog.self, from: try APIJSON.changelog(name, try await catalog.changelog(named: name))) } catch
                    let error as CatalogError
                { throw History.NotFound(description: error.description) }
            case .remote(let remote): return try await remote.get("/v1/images/\(name)/changelog", as: Components.Schemas.Changelog.self)
            }
        }
        if output.json {
            Output.write(String(decoding: try APIJSON.encode(changelog), as: UTF8.self))
            return
        }
        var rows = [["TIME", "ACTION", "TAG", "DIGEST", "BY", "WHY"]]
        for item in changelog.items {
            let flags = item.flags ?? []
            rows.append([
                RFC3339.format(item.at), item.action, item.tag ?? "", item.digest ?? "", item.actor,
                (item.reason ?? "") + (flags.isEmpty ? "" : " [\(flags.joined(separator: ","))]")
                    + (item.signature.map { ($0.verified ? " signed: " : " unsigned: ") + $0.reason } ?? ""),
            ])
        }
        Output.write(Output.table(rows))
    }
}
