import ArgumentParser
import Foundation
import Logging
import PlinthCatalog
import PlinthCore
import PlinthStore

/// `plinth`: the catalog of trusted base images, from the command line (SPEC "Command line").
@main
struct Plinth: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plinth",
        abstract: "A catalog of trusted container base images.",
        discussion: """
            Exit codes: 0 ok or policy passed; 1 policy failed (a verdict other than approved, \
            or superseded within grace); 2 usage or runtime error, with a one-line reason on stderr.
            """,
        version: PlinthRelease.version,
        subcommands: [Serve.self, Apply.self, Sync.self, Lookup.self, History.self, Changelog.self, Token.self, Audit.self, Vercmp.self, Advisories.self, Diff.self, Check.self, Pin.self, Approve.self, Revoke.self, Unrevoke.self, Dependents.self, SurfaceCommand.self, SBOM.self, VEX.self, MigrateStore.self]
    )

    /// Runs the command; maps every failure to SPEC's exit codes (ArgumentParser's own
    /// usage errors would otherwise exit 64).
    static func main() async {
        do {
            var command = try parseAsRoot()
            // Commands other than serve log only what went wrong.
            Logger.bootstrap(level: (command as? Serve)?.logLevel ?? .warning)
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                exit(withError: error)  // --help, --version
            }
            let message = error is any CommandLineFailure ? "\(error)" : message(for: error)
            FileHandle.standardError.write(Data("plinth: \(message)\n".utf8))
            Foundation.exit(2)
        }
    }
}

/// A failure whose description is the whole message for stderr.
protocol CommandLineFailure: Error, CustomStringConvertible {}

/// Options every command that reads or writes the catalog takes.
struct StoreOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Where the catalog is kept: a SQLite file (PATH or sqlite:PATH), or a PostgreSQL database (postgres://user@host[:port]/db[?sslmode=require]) (env PLINTH_DB; default ./plinth.sqlite).",
            valueName: "location"))
    var db: String?

    /// `--db`, else PLINTH_DB, else `./plinth.sqlite`.
    var location: String { db ?? ProcessInfo.processInfo.environment["PLINTH_DB"].flatMap { $0.isEmpty ? nil : $0 } ?? "./plinth.sqlite" }

    func validate() throws {
        do { _ = try StoreLocation(parsing: location) } catch { throw ValidationError(error.description) }
    }

    /// The store `--db` names, opened (and migrated): every command gets its store here.
    func open(logger: Logger = Logger(label: "plinth.store")) async throws -> any CatalogStore {
        do { return try await Stores.open(try StoreLocation(parsing: location), logger: logger) } catch let error as Stores.Unavailable {
            throw Unavailable(description: error.description)
        }
    }

    /// A catalog on the store `--db` names.
    func catalog(logger: Logger = Logger(label: "plinth.store"), trustedRoot: SigstoreTrustedRoot? = try? .publicGood()) async throws -> Catalog {
        Catalog(store: try await open(logger: logger), trustedRoot: trustedRoot)
    }

    struct Unavailable: CommandLineFailure {
        var description: String
    }
}

struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print JSON instead of a table.")
    var json = false
}

enum Output {
    static func write(_ text: String) {
        FileHandle.standardOutput.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    /// Left-aligned columns separated by two spaces.
    static func table(_ rows: [[String]]) -> String {
        guard let width = rows.map(\.count).max() else { return "" }
        let widths = (0..<width).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }.joined(separator: "\n")
    }
}

extension Logger {
    /// Sends every logger of the process to stderr, at the level asked for.
    static func bootstrap(level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
