import ArgumentParser
import Foundation
import PlinthCatalog
import PlinthStore

struct Apply: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Reconcile the catalog with a directory of entry files (catalog as code).",
        discussion: """
            Reads every *.yaml file at the top of DIR (one entry each) and every snapshots/*.json \
            file, validates all of them, then creates and updates entries in one transaction. \
            Nothing is written if any file is invalid. Entries in the catalog but not in DIR are \
            reported, and retired with --prune.
            """
    )

    @Argument(help: ArgumentHelp("Directory of catalog entry files.", valueName: "dir"))
    var directory: String

    @Flag(help: "Retire entries that are in the catalog but not in DIR.")
    var prune = false

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    struct Invalid: CommandLineFailure {
        var error: ApplyError
        var description: String {
            "\(error.problems.count) problem\(error.problems.count == 1 ? "" : "s") in the catalog files; nothing was written\n"
                + error.problems.map { "  \($0)" }.joined(separator: "\n")
        }
    }

    func run() async throws {
        let source = try CatalogSource.directory(directory)
        let catalog = try await store.catalog()
        let report: ApplyReport
        do { report = try await catalog.apply(source, prune: prune) } catch let error as ApplyError { throw Invalid(error: error) }
        if output.json {
            let counts: [String: Int] = [
                "created": report.created.count, "updated": report.updated.count, "unchanged": report.unchanged.count,
                "missing": report.missing.count, "retired": report.retired.count,
                "observations_added": report.newObservations, "approvals_added": report.approvalsAdded,
            ]
            let data = try JSONSerialization.data(withJSONObject: counts, options: [.sortedKeys])
            Output.write(String(decoding: data, as: UTF8.self))
            return
        }
        func line(_ label: String, _ names: [String]) -> [String] {
            [label, String(names.count), names.joined(separator: ", ")]
        }
        var rows = [line("created", report.created), line("updated", report.updated), ["unchanged", String(report.unchanged.count), ""]]
        if !report.missing.isEmpty { rows.append(line("missing", report.missing + ["(not in \(directory); --prune retires them)"])) }
        if prune { rows.append(line("retired", report.retired)) }
        rows.append(["observations", String(report.newObservations), "new tag observations from snapshots"])
        rows.append(["approvals", String(report.approvalsAdded), "digests approved by automatic policy"])
        Output.write(Output.table(rows))
    }
}
