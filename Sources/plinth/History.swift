import ArgumentParser
import Foundation
import PlinthCatalog
import PlinthCore
import PlinthServer
import PlinthStore

struct History: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print each tracked tag's digests with first and last seen, oldest first.")

    @Argument(help: ArgumentHelp("Catalog entry name.", valueName: "name"))
    var name: String

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard CatalogEntry.isValidName(name) else { throw ValidationError("'\(name)' is not an entry name ([a-z0-9][a-z0-9-]{1,62})") }
    }

    struct NotFound: CommandLineFailure {
        var description: String
    }

    func run() async throws {
        let catalog = try await store.catalog()
        let view: ImageView
        let tags: [TagHistory]
        do { (view, tags) = try await catalog.history(named: name) } catch let error as CatalogError { throw NotFound(description: error.description) }
        if output.json {
            Output.write(String(decoding: try APIJSON.history(view, tags), as: UTF8.self))
            return
        }
        var rows: [[String]] = [["TAG", "DIGEST", "FIRST SEEN", "LAST SEEN", "VERDICT", "FLAGS"]]
        var errors: [String] = []
        for tag in tags {
            if tag.items.isEmpty { rows.append([tag.tag, "(not seen yet)", "", "", "", ""]) }
            for item in tag.items {
                let o = item.observation
                rows.append([
                    tag.tag, o.digest.description, RFC3339.format(o.firstSeen), RFC3339.format(o.lastSeen), item.verdict?.verdict.rawValue ?? "",
                    o.flags.joined(separator: ","),
                ])
            }
            if let sync = tag.sync, let error = sync.lastError {
                errors.append("\(tag.tag): last sync failed at \(RFC3339.format(sync.lastErrorAt ?? sync.lastAttemptAt)): \(error)")
            }
        }
        Output.write("\(view.entry.name)  \(view.entry.repository)\n" + Output.table(rows) + errors.map { "\n" + $0 }.joined())
    }
}
