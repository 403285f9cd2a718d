import Foundation
import PackagePlugin

/// Embeds data files into the target that uses the plugin, so that the `plinth`
/// binary carries its migrations, seed catalog and OpenAPI document with it.
///
/// Which files a target embeds is fixed here, by target name: the files live where
/// STYLE.md puts them (`migrations/`, `seed-data/` at the package root), which
/// SwiftPM resources cannot reach.
@main
struct EmbedFiles: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let root = context.package.directoryURL
        let sources: [URL]
        switch target.name {
        case "PlinthStore": sources = [root.appending(path: "migrations")]
        case "PlinthCatalog": sources = [root.appending(path: "seed-data")]
        case "PlinthServer": sources = [root.appending(path: "Sources/PlinthServer/openapi.yaml"), root.appending(path: "pages")]
        default: return []
        }
        let inputs = sources.flatMap(Self.files(under:))
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedFiles.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(inputs.count) files into \(target.name)",
                executable: try context.tool(named: "embed-files").url,
                arguments: [output.path()] + sources.map { $0.path() },
                inputFiles: inputs,
                outputFiles: [output]
            )
        ]
    }

    static func files(under url: URL) -> [URL] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path(), isDirectory: &isDirectory) else { return [] }
        guard isDirectory.boolValue else { return [url] }
        let walker = FileManager.default.enumerator(at: url, includingPropertiesForKeys: [.isRegularFileKey])
        var found: [URL] = []
        while let next = walker?.nextObject() as? URL {
            if (try? next.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true { found.append(next) }
        }
        return found.sorted { $0.path() < $1.path() }
    }
}
