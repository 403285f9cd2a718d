import ArgumentParser
import Foundation
import PlinthCatalog
import PlinthCore
import PlinthStore

extension SBOMFormat: ExpressibleByArgument {}

struct SBOM: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a digest's SBOM (SPDX 2.3 or CycloneDX 1.6 JSON) from the packages read from its layers.",
        discussion: """
            An index's SBOM holds each platform manifest whose packages were read; --platform \
            narrows it to one. Every OS package is named by its purl. A digest Plinth has never \
            seen, or one none of whose packages have been read, is an error (exit 2) that says so.
            """
    )

    @Argument(help: ArgumentHelp("sha256:… digest of an index or a platform manifest.", valueName: "digest"))
    var digest: String

    @Option(help: "spdx or cyclonedx.")
    var format: SBOMFormat = .spdx

    @Option(help: "One platform of an index (linux/arm64/v8).")
    var platform: String?

    @OptionGroup var store: StoreOptions

    func run() async throws {
        let digest: Digest
        do { digest = try Digest(parsing: self.digest) } catch { throw ValidationError(error.description) }
        var platform: Platform?
        if let text = self.platform {
            do { platform = try Platform(parsing: text) } catch { throw ValidationError("--platform: \(error.description)") }
        }
        let catalog = try await store.catalog()
        let subject = try await catalog.sbomSubject(of: digest, platform: platform)
        Output.write(String(decoding: try format.document(subject), as: UTF8.self))
    }
}

struct VEX: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print an entry's advisory exceptions in force as an OpenVEX 0.2.0 document.",
        discussion: """
            One not_affected statement per advisory excepted, about each tag's current digest and \
            the packages in it the advisory names. An entry with no exception in force is an \
            error (exit 2): OpenVEX documents hold at least one statement.
            """
    )

    @Argument(help: ArgumentHelp("Catalog entry name.", valueName: "name"))
    var name: String

    @OptionGroup var store: StoreOptions

    func run() async throws {
        let catalog = try await store.catalog()
        Output.write(String(decoding: try await catalog.vex(of: name).json(), as: UTF8.self))
    }
}
