import ArgumentParser
import Foundation
import Logging
import PlinthStore

/// `plinth migrate-store`: moves a catalog from SQLite to PostgreSQL.
struct MigrateStore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate-store",
        abstract: "Copy a catalog from SQLite to an empty PostgreSQL database, history, tokens and audit chain included.",
        discussion: """
            Every row is copied as it is, in one transaction on the destination: entries, every tag's \
            history, approvals, revocations, holds, exceptions, packages, advisories, tokens (their \
            hashes), webhook cursors and the audit chain with its hashes. The destination must be \
            empty (a new database; its schema is created). The chain is verified at the destination \
            and must end at the source's head. Stop the servers writing to the source first.
            """)

    @Option(help: ArgumentHelp("The SQLite catalog to copy: sqlite:PATH or a path.", valueName: "location"))
    var from: String

    @Option(help: ArgumentHelp("The PostgreSQL database to copy into: postgres://user@host[:port]/db.", valueName: "location"))
    var to: String

    struct Failure: CommandLineFailure {
        var description: String
    }

    func run() async throws {
        let source: StoreLocation
        let destination: StoreLocation
        do {
            source = try StoreLocation(parsing: from)
            destination = try StoreLocation(parsing: to)
        } catch { throw ValidationError(error.description) }
        let started = ContinuousClock.now
        let report: StoreCopy.Report
        do {
            report = try await StoreCopy.copy(from: source, to: destination, logger: Logger(label: "plinth.store")) { table, rows in
                FileHandle.standardError.write(Data("copying \(table): \(rows) rows\r".utf8))
            }
        } catch let error as StoreCopy.Failure {
            throw Failure(description: error.description)
        } catch let error as Stores.Unavailable {
            throw Failure(description: error.description)
        }
        FileHandle.standardError.write(Data("\n".utf8))
        for (table, count) in report.rows where count > 0 {
            Output.write("\(table.padding(toLength: 20, withPad: " ", startingAt: 0)) \(count)")
        }
        if case .valid(let events, let head) = report.verification {
            Output.write("copied \(source) to \(destination) in \((ContinuousClock.now - started).formatted(.units(allowed: [.seconds, .milliseconds])))")
            Output.write("audit log verifies at the destination: \(events) events, head \(head)")
        }
    }
}
