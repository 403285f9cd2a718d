import PlinthCore
import Foundation

/// The files of a catalog-as-code directory: entry files (`*.yaml`, `*.yml`) at its top
/// level, and registry snapshots (`snapshots/*.json`), by path relative to the directory.
public struct CatalogSource: Sendable {
    public var files: [String: Data]

    public init(files: [String: Data]) {
        self.files = files
    }

    public struct ReadError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The catalog that ships inside the binary (`seed-data/`).
    public static var embedded: CatalogSource { CatalogSource(files: EmbeddedFiles.files) }

    /// Reads a directory from disk.
    public static func directory(_ path: String) throws -> CatalogSource {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ReadError(description: "\(path): no such directory")
        }
        var files: [String: Data] = [:]
        let root = URL(fileURLWithPath: path)
        for name in try fm.contentsOfDirectory(atPath: path) where isEntryFile(name) {
            files[name] = try Data(contentsOf: root.appendingPathComponent(name))
        }
        let snapshots = root.appendingPathComponent("snapshots")
        if fm.fileExists(atPath: snapshots.path) {
            for name in try fm.contentsOfDirectory(atPath: snapshots.path) where name.hasSuffix(".json") {
                files["snapshots/" + name] = try Data(contentsOf: snapshots.appendingPathComponent(name))
            }
        }
        guard files.keys.contains(where: isEntryFile) else {
            throw ReadError(description: "\(path): no catalog entry files (*.yaml) found")
        }
        return CatalogSource(files: files)
    }

    static func isEntryFile(_ path: String) -> Bool {
        !path.contains("/") && !path.hasPrefix(".") && (path.hasSuffix(".yaml") || path.hasSuffix(".yml"))
    }

    var entryFiles: [(path: String, data: Data)] {
        files.filter { Self.isEntryFile($0.key) }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    var snapshotFiles: [(path: String, data: Data)] {
        files.filter { $0.key.hasPrefix("snapshots/") && $0.key.hasSuffix(".json") }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}

extension CatalogSource {
    /// One catalog file's entry, checked as `plinth apply` checks it (its references to other
    /// entries aside); the error names the file, line and field.
    public static func entry(yaml text: String, file: String) throws(EntryFileError) -> CatalogEntry {
        try EntryFile.parse(text, file: file)
    }
}
