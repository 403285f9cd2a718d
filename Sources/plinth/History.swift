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
    @OptionGroup var server: ServerOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard CatalogEntry.isValidName(name) else { throw ValidationError("'\(name)' is not an entry name ([a-z0-9][a-z0-9-]{1,62})") }
    }

    struct NotFound: CommandLineFailure {
        var description: String
    }

    func run() async throws {
        let history: Components.Schemas.ImageHistory = try await ReadSource.with(store, server) { source in
            switch source {
            case .local(let catalog):
                do {
                    let (view, tags) = try await catalog.history(named: name)
                    return try APIJSON.decode(Components.Schemas.ImageHistory.self, from: try APIJSON.history(view, tags))
                } catch let error as CatalogError { throw NotFound(description: error.description) }
            case .remote(let remote): return try await remote.get("/v1/images/\(name)/history", as: Components.Schemas.ImageHistory.self)
            }
        }
        if output.json {
            Output.write(String(decoding: try APIJSON.encode(history), as: UTF8.self))
            return
        }
        var rows: [[String]] = [["TAG", "DIGEST", "FIRST SEEN", "LAST SEEN", "VERDICT", "FLAGS"]]
        var errors: [String] = []
        for tag in history.tags {
            if tag.observations.isEmpty { rows.append([tag.tag, "(not seen yet)", "", "", "", ""]) }
            for o in tag.observations {
                rows.append([
                    tag.tag, o.digest, RFC3339.format(o.firstSeen), RFC3339.format(o.lastSeen), o.verdict.rawValue, (o.flags ?? []).joined(separator: ","),
                ])
            }
            if let sync = tag.sync, let error = sync.lastError {
                errors.append("\(tag.tag): last sync failed at \(RFC3339.format(sync.lastErrorAt ?? sync.lastAttemptAt)): \(error)")
            }
        }
        Output.write("\(history.image)  \(history.repository)\n" + Output.table(rows) + errors.map { "\n" + $0 }.joined())
    }
}
