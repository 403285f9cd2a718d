import ArgumentParser
import Foundation
import PlinthCatalog
import PlinthCore
import PlinthServer
import PlinthStore
import PlinthRegistry
import Logging

/// `--build-arg NAME=VALUE`, repeatable.
struct BuildArgOptions: ParsableArguments {
    @Option(name: .customLong("build-arg"), help: ArgumentHelp("Override an ARG default, as docker build does (NAME=VALUE; repeatable).", valueName: "name=value"))
    var buildArgs: [String] = []

    func parsed() throws -> [String: String] {
        var result: [String: String] = [:]
        for pair in buildArgs {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty else { throw ValidationError("--build-arg '\(pair)' is not NAME=VALUE") }
            result[String(parts[0])] = String(parts[1])
        }
        return result
    }
}

struct GateFailure: CommandLineFailure {
    var description: String
}

/// Reads a Dockerfile as text; any failure is a one-line reason.
func readDockerfile(_ path: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: path) else { throw GateFailure(description: "\(path): cannot read it") }
    guard data.count <= 4 << 20 else { throw GateFailure(description: "\(path): larger than 4 MiB") }
    guard let text = String(data: data, encoding: .utf8) else { throw GateFailure(description: "\(path): not UTF-8 text") }
    return text
}

/// `plinth check`: the CI gate.
struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The CI gate: every base of the Dockerfiles, and every reference, must be pinned by digest and approved (or in grace).",
        discussion: """
            Each result has the fields POST /v1/check gives: input, reference (normalised), digest, verdict, \
            current_digest, reason, passes (and rebuild_needed for --image), with its source. \
            Exit 0 when everything passes, 1 when something fails the policy, 2 on bad input (with the file and line).
            """)

    @Option(name: .customLong("dockerfile"), help: ArgumentHelp("A Dockerfile to check (repeatable).", valueName: "file"))
    var dockerfiles: [String] = []

    @Argument(help: ArgumentHelp("Image references or digests.", valueName: "ref"))
    var references: [String] = []

    @Option(name: .customLong("image"), help: ArgumentHelp("A built application image to read from its registry and find the base of (repeatable).", valueName: "ref"))
    var images: [String] = []

    @Option(help: ArgumentHelp("The platform of --image to examine.", valueName: "os/arch"))
    var platform = "linux/amd64"

    @OptionGroup var registries: RegistryOptions

    @Flag(help: "Accept a tag without a digest when an approved entry tracks it.")
    var allowUnpinnedTracked = false

    @Option(help: ArgumentHelp("Fail a digest whose health grade is worse than this (A-F).", valueName: "grade"))
    var minGrade: HealthGrade?

    @Flag(help: "Fail a digest whose catalog entry is deprecated.")
    var failOnDeprecated = false

    @Flag(name: .customLong("fail-on-rebuild"), help: "Fail an --image whose base's tag has moved on, even while the old base is in grace.")
    var failOnRebuild = false

    @Flag(help: "Print SARIF 2.1.0 (for code-scanning tools) instead of a table.")
    var sarif = false

    @OptionGroup var buildArgs: BuildArgOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var server: ServerOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard !dockerfiles.isEmpty || !references.isEmpty || !images.isEmpty else {
            throw ValidationError("give --dockerfile FILE, --image REF or references to check")
        }
        do { _ = try Platform(parsing: platform) } catch { throw ValidationError("--platform: \(error.description)") }
        guard !(sarif && output.json) else { throw ValidationError("--json and --sarif are two outputs; choose one") }
    }

    func run() async throws {
        let files = try dockerfiles.map { ($0, try readDockerfile($0)) }
        let policy = GatePolicy(allowUnpinnedTracked: allowUnpinnedTracked, minimumGrade: minGrade, failOnDeprecated: failOnDeprecated, failOnRebuildNeeded: failOnRebuild)
        let findings: [GateFinding] = try await ReadSource.with(store, server) { source in
            var findings: [GateFinding]
            do {
                findings = try await Gate.findings(
                    dockerfiles: files, references: references, buildArgs: try buildArgs.parsed(), policy: policy, judge: source.judge)
            } catch let error as DockerfileError {
                throw GateFailure(description: error.description)
            }
            guard !images.isEmpty else { return findings }
            switch source {
            case .remote(let remote):
                // The server reads the images from their registries.
                for judgment in try await remote.check(items: [], images: images, platform: platform, policy: policy) {
                    findings.append(GateFinding(source: "image", judgment: judgment))
                }
            case .local(let catalog):
                let client = try registries.makeClient()
                do {
                    for image in images {
                        let judgment = try await catalog.judgeBuiltImage(
                            image, platform: try Platform(parsing: platform), client: client, policy: policy, logger: Logger(label: "plinth.check"))
                        findings.append(GateFinding(source: "image", judgment: judgment))
                    }
                } catch {
                    try? await client.shutdown()
                    throw error
                }
                try? await client.shutdown()
            }
            return findings
        }
        let passed = findings.allSatisfy(\.judgment.passes)
        if sarif {
            Output.write(try Self.sarif(findings))
        } else if output.json {
            // Each result is POST /v1/check's, plus where it came from.
            var results: [Any] = []
            for finding in findings {
                guard var object = try JSONSerialization.jsonObject(with: try APIJSON.judgment(finding.judgment)) as? [String: Any] else { continue }
                object["source"] = finding.source
                results.append(object)
            }
            let data = try JSONSerialization.data(withJSONObject: ["passed": passed, "results": results], options: [.sortedKeys, .withoutEscapingSlashes])
            Output.write(String(decoding: data, as: UTF8.self))
        } else {
            var rows = [["SOURCE", "REFERENCE", "VERDICT", "", "REASON"]]
            for f in findings {
                rows.append([f.source, f.judgment.input, f.judgment.outcome.description, f.judgment.passes ? "ok" : "FAIL", f.judgment.reason])
            }
            Output.write(Output.table(rows) + "\n" + (passed ? "passed" : "failed: \(findings.filter { !$0.judgment.passes }.count) of \(findings.count)"))
        }
        // A malformed reference is bad input (exit 2), judged and printed like the rest first.
        if let invalid = findings.first(where: { $0.judgment.outcome == .invalid }) {
            throw GateFailure(description: "\(invalid.source == "argument" ? "" : invalid.source + ": ")'\(invalid.judgment.input)': \(invalid.judgment.reason)")
        }
        if !passed { throw ExitCode(1) }
    }

    /// SARIF 2.1.0: one result per failing base, with its file and line.
    static func sarif(_ findings: [GateFinding]) throws -> String {
        let failing = findings.filter { !$0.judgment.passes }
        let rules = Set(failing.map(\.judgment.outcome.description)).sorted().map { verdict -> [String: Any] in
            ["id": "plinth/\(verdict)", "shortDescription": ["text": "Base image verdict: \(verdict)"],
             "helpUri": "https://github.com/plinth/plinth#the-ci-gate"]
        }
        let results = failing.map { f -> [String: Any] in
            var result: [String: Any] = [
                "ruleId": "plinth/\(f.judgment.outcome)", "level": "error", "message": ["text": "\(f.judgment.input): \(f.judgment.reason)"],
            ]
            if let file = f.file, let line = f.line {
                result["locations"] = [["physicalLocation": ["artifactLocation": ["uri": file], "region": ["startLine": line]]]]
            }
            return result
        }
        let log: [String: Any] = [
            "version": "2.1.0", "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "runs": [["tool": ["driver": ["name": "plinth", "version": PlinthRelease.version, "informationUri": "https://github.com/plinth/plinth", "rules": rules]], "results": results]],
        ]
        return String(decoding: try JSONSerialization.data(withJSONObject: log, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
    }
}

/// `plinth pin FILE...`: rewrite each base to the catalog's current approved digest.
struct Pin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Pin each FROM name:tag (and COPY --from) to name:tag@sha256:… using the catalog's current approved digest.",
        discussion: "Keeps every other byte of each file. --check only reports and exits 1 if anything would change.")

    @Argument(help: ArgumentHelp("Dockerfiles.", valueName: "file"))
    var files: [String]

    @Flag(help: "Report what would change; change nothing; exit 1 if anything would.")
    var check = false

    @OptionGroup var buildArgs: BuildArgOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var server: ServerOptions

    func run() async throws {
        let args = try buildArgs.parsed()
        var changed = 0
        let results: [(String, PinResult)] = try await ReadSource.with(store, server) { source in
            var results: [(String, PinResult)] = []
            for file in files {
                let text = try readDockerfile(file)
                do { results.append((file, try await Gate.pin(text, buildArgs: args, judge: source.judge))) } catch let error as Dockerfile.ParseError {
                    throw GateFailure(description: "\(file):\(error.line): \(error.message)")
                }
            }
            return results
        }
        // Every file read and pinned before any is written: a bad file changes nothing.
        for (file, result) in results {
            for change in result.changes { Output.write("\(file):\(change.line): \(change.from) -> \(change.to)") }
            for skipped in result.skipped { FileHandle.standardError.write(Data("plinth: \(file):\(skipped.line): \(skipped.reference): \(skipped.reason)\n".utf8)) }
            changed += result.changes.count
            if !check, !result.changes.isEmpty {
                do { try Data(result.text.utf8).write(to: URL(fileURLWithPath: file), options: .atomic) } catch {
                    throw GateFailure(description: "\(file): cannot write it: \(error)")
                }
            }
        }
        if check && changed > 0 { throw ExitCode(1) }
    }
}

extension HealthGrade: ExpressibleByArgument {}
