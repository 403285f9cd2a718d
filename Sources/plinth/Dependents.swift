import ArgumentParser
import Foundation
import PlinthCatalog
import PlinthCore
import PlinthServer
import PlinthStore

struct Dependents: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the built images recorded on a base digest.",
        discussion: """
            Built images are recorded when they are judged by their base: plinth check --image, \
            POST /v1/check with images, the Gatekeeper provider, and a registry's push \
            notifications (POST /v1/hooks/distribution). For an index, images on any of its \
            platform manifests are listed. Exits 2 when Plinth has never seen the digest.
            """
    )

    @OptionGroup var target: DigestArgument

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    struct Failure: CommandLineFailure {
        var description: String
    }

    func run() async throws {
        let base = try target.parsed()
        let catalog = try await store.catalog()
        guard try await catalog.lookup(base).verdict.verdict != .unknown else { throw Failure(description: "Plinth has never seen \(base)") }
        let images = try await catalog.dependents(of: base)
        if output.json {
            Output.write(String(decoding: try APIJSON.dependents(base, images), as: UTF8.self))
        } else if images.isEmpty {
            Output.write("no built images recorded on \(base)")
        } else {
            var rows = [["IMAGE", "MANIFEST", "BASE", "SOURCE", "FIRST SEEN", "LAST SEEN"]]
            for image in images {
                rows.append([
                    image.reference, image.manifest.description, image.base.description, image.source.rawValue, RFC3339.format(image.firstSeen),
                    RFC3339.format(image.lastSeen),
                ])
            }
            Output.write(Output.table(rows))
        }
    }
}
