import ArgumentParser
import Foundation
import PlinthCore

/// `plinth vercmp deb|apk|rpm A B`: -1, 0 or 1, as dpkg, apk-tools or rpm order the two.
struct Vercmp: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare two package versions as the ecosystem's own tool does; print -1, 0 or 1.",
        discussion: """
            deb orders as dpkg --compare-versions (Debian, Ubuntu); apk as apk-tools (Alpine, \
            Chainguard, Wolfi); rpm as rpm's EVR comparison (RHEL, UBI, Alma, Rocky, Amazon Linux). \
            With --batch, reads 'A<TAB>B' lines from stdin and prints one result per line.
            """)

    @Argument(help: "deb, apk or rpm.")
    var scheme: VersionScheme

    @Argument(help: ArgumentHelp("The two versions (none with --batch).", valueName: "version"))
    var versions: [String] = []

    @Flag(help: "Read 'A<TAB>B' lines from stdin.")
    var batch = false

    struct Failure: CommandLineFailure {
        var description: String
    }

    func validate() throws {
        if batch {
            guard versions.isEmpty else { throw ValidationError("--batch reads the versions from stdin; give none as arguments") }
        } else {
            guard versions.count == 2 else { throw ValidationError("give two versions to compare (or --batch)") }
        }
    }

    func run() throws {
        guard batch else {
            do { Output.write(String(try scheme.compare(versions[0], versions[1]))) } catch { throw Failure(description: error.description) }
            return
        }
        var output = ""
        var number = 0
        while let line = readLine(strippingNewline: true) {
            number += 1
            if line.isEmpty { continue }
            let fields = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
            guard fields.count == 2 else { throw Failure(description: "line \(number): expected 'A<TAB>B'") }
            do {
                output += String(try scheme.compare(String(fields[0]), String(fields[1]))) + "\n"
            } catch {
                throw Failure(description: "line \(number): \(error.description)")
            }
        }
        FileHandle.standardOutput.write(Data(output.utf8))
    }
}

extension VersionScheme: ExpressibleByArgument {}
