import ArgumentParser
import Foundation
import Logging
import PlinthCatalog
import PlinthCore
import PlinthServer
import PlinthRegistry
import PlinthStore

/// `plinth advisories import|list|except`.
struct Advisories: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import OSV advisories and see which affect an image.", subcommands: [Import.self, List.self, Except.self])

    struct Failure: CommandLineFailure {
        var description: String
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import OSV records from a folder of JSON files or an osv.dev zip, or from --url.",
            discussion: """
                Every record is validated first; any invalid one refuses the whole import and is named. \
                A record already stored is replaced only by a newer 'modified', so importing the same \
                data twice changes nothing. Example: --url https://osv-vulnerabilities.storage.googleapis.com/Ubuntu/all.zip
                """)

        @Argument(help: ArgumentHelp("Folder or zip of OSV records.", valueName: "path"))
        var path: String?

        @Option(help: ArgumentHelp("Download a zip of OSV records (at most 4 GiB) and import it.", valueName: "url"))
        var url: String?

        @OptionGroup var store: StoreOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard (path == nil) != (url == nil) else { throw ValidationError("give a folder or zip, or --url, one of the two") }
            if let url, URL(string: url)?.scheme.map({ ["http", "https"].contains($0) }) != true {
                throw ValidationError("--url '\(url)' is not an http(s) URL")
            }
        }

        func run() async throws {
            var source = path ?? ""
            var downloaded: URL?
            if let url {
                let file = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-osv-\(UUID().uuidString).zip")
                FileHandle.standardError.write(Data("plinth: downloading \(url)\n".utf8))
                do {
                    let bytes = try await Download.toFile(URL(string: url)!, destination: file, maxBytes: 4 << 30, logger: Logger(label: "plinth.download"))
                    FileHandle.standardError.write(Data("plinth: downloaded \(bytes) bytes\n".utf8))
                } catch {
                    throw Failure(description: "\(error)")
                }
                source = file.path
                downloaded = file
            }
            defer { if let downloaded { try? FileManager.default.removeItem(at: downloaded) } }
            let files: [(name: String, data: Data)]
            do { files = try AdvisorySource.files(at: source) } catch { throw Failure(description: "\(error)") }
            let catalog = try await store.catalog()
            let outcome: AdvisoryImportOutcome
            do { outcome = try await catalog.importAdvisories(files) } catch let error as AdvisoryImportError { throw Failure(description: error.description) }
            if !output.json {
                Output.write("\(files.count) records read: \(outcome.added) added, \(outcome.updated) updated, \(outcome.unchanged) unchanged")
            }
            // The import dropped every kept health basis (migration 0013): grade the tracked
            // tags' current digests again now, rather than on their first lookups.
            var graded = 0
            if outcome.added + outcome.updated > 0 {
                let started = ContinuousClock.now
                var reported = started
                graded = try await catalog.refreshHealth { digests, done, total in
                    guard !output.json, ContinuousClock.now - reported > .seconds(2) || done == total else { return }
                    reported = ContinuousClock.now
                    FileHandle.standardError.write(Data("plinth: grading current digests: \(done)/\(total) entries, \(digests) digests\n".utf8))
                }
                if !output.json { Output.write("graded \(graded) current digests in \(started.duration(to: .now))") }
            }
            if output.json {
                Output.write(#"{"added":\#(outcome.added),"graded":\#(graded),"unchanged":\#(outcome.unchanged),"updated":\#(outcome.updated)}"#)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the advisories that affect a digest's packages (an index: every platform's).",
            discussion: "Exits 1 when an advisory without an exception affects it.")

        @Argument(help: ArgumentHelp("sha256:… digest.", valueName: "digest"))
        var digest: String

        @OptionGroup var store: StoreOptions
        @OptionGroup var server: ServerOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let parsed: Digest
            do { parsed = try Digest(parsing: digest) } catch { throw ValidationError(error.description) }
            let report: Components.Schemas.AdvisoryList = try await ReadSource.with(store, server) { source in
                switch source {
                case .local(let catalog):
                    let answer = try await catalog.lookup(parsed)
                    // As the API: a digest Plinth has never seen has no advisories to list.
                    guard answer.verdict.verdict != .unknown else { throw History.NotFound(description: CatalogError.digestNotFound(parsed).description) }
                    return try APIJSON.decode(Components.Schemas.AdvisoryList.self, from: try APIJSON.advisories(parsed, try await catalog.advisories(of: parsed)))
                case .remote(let remote): return try await remote.get("/v1/digests/\(parsed)/advisories", as: Components.Schemas.AdvisoryList.self)
                }
            }
            if output.json {
                Output.write(String(decoding: try APIJSON.encode(report), as: UTF8.self))
            } else {
                if let note = report.note { FileHandle.standardError.write(Data("plinth: \(note)\n".utf8)) }
                var rows = [["ADVISORY", "SEVERITY", "PACKAGE", "INSTALLED", "FIXED IN", "EXCEPTION"]]
                for f in report.items {
                    rows.append([
                        f.id, f.severity.rawValue, f.package, f.installedVersion, f.fixedVersion ?? "(no fix)",
                        f.exception.map { "until \(RFC3339.format($0.expiresAt)): \($0.reason)" } ?? "",
                    ])
                }
                Output.write(Output.table(rows) + "\n\(report.items.count) advisories in \(report.ecosystems.joined(separator: ", "))")
            }
            if report.items.contains(where: { $0.exception == nil }) { throw ExitCode(1) }
        }
    }

    struct Except: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record that an advisory does not affect an entry, with a reason, until it expires.")

        @Argument(help: ArgumentHelp("Advisory id.", valueName: "advisory"))
        var advisory: String

        @Option(help: "Catalog entry name.")
        var image: String

        @Option(help: "Why it does not apply (required).")
        var reason: String

        @Option(help: ArgumentHelp("How long it holds: 30d, 12h.", valueName: "duration"))
        var expires = "90d"

        @Option(
            help: ArgumentHelp(
                "OpenVEX's word for why: \(VEXJustification.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "justification"))
        var justification: String?

        @OptionGroup var store: StoreOptions

        func run() async throws {
            guard let lifetime = Token.Create.lifetime(expires), let seconds = lifetime else {
                throw ValidationError("--expires '\(expires)' is not a lifetime: use e.g. 30d or 12h")
            }
            var justified: VEXJustification?
            if let justification {
                do { justified = try VEXJustification(parsing: justification) } catch { throw ValidationError("--justification \(error.description)") }
            }
            do {
                try await store.catalog().exceptAdvisory(
                    advisory, image: image, expires: Date().addingTimeInterval(seconds), justification: justified, actor: Token.localActor, reason: reason)
            } catch let error as CurationError {
                throw Failure(description: error.description)
            }
            Output.write("\(advisory) does not count against \(image) until \(RFC3339.format(Date().addingTimeInterval(seconds)))")
        }
    }
}
