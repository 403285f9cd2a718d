import ArgumentParser
import Foundation
import PlinthCatalog
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
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let catalog = try await store.catalog()
        let items: [ChangelogItem]
        do { items = try await catalog.changelog(named: name) } catch let error as CatalogError { throw History.NotFound(description: error.description) }
        if output.json {
            Output.write(String(decoding: try APIJSON.changelog(name, items), as: UTF8.self))
            return
        }
        var rows = [["TIME", "ACTION", "TAG", "DIGEST", "BY", "WHY"]]
        for item in items {
            rows.append([
                RFC3339.format(item.at), item.action, item.tag ?? "", item.digest?.description ?? "", item.actor,
                (item.reason ?? "") + (item.flags.isEmpty ? "" : " [\(item.flags.joined(separator: ","))]")
                    + (item.signature.map { ($0.verified ? " signed: " : " unsigned: ") + $0.reason } ?? ""),
            ])
        }
        Output.write(Output.table(rows))
    }
}
