import Foundation
import ZIPFoundation

/// OSV records to import: a folder of `*.json` files (searched recursively), or a zip of them
/// as osv.dev exports them (`gs://osv-vulnerabilities/ECOSYSTEM/all.zip`).
public enum AdvisorySource {
    public struct ReadError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Most records one import reads.
    public static let maxRecords = 2_000_000

    /// The records' file names and bytes.
    public static func files(at path: String) throws -> [(name: String, data: Data)] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ReadError(description: "\(path): no such file or folder")
        }
        if isDirectory.boolValue { return try folder(path) }
        return try zip(path)
    }

    static func folder(_ path: String) throws -> [(name: String, data: Data)] {
        guard let walker = FileManager.default.enumerator(atPath: path) else { throw ReadError(description: "\(path): cannot read the folder") }
        var files: [(String, Data)] = []
        for case let relative as String in walker where relative.hasSuffix(".json") {
            guard files.count < maxRecords else { throw ReadError(description: "\(path): more than \(maxRecords) records") }
            guard let data = FileManager.default.contents(atPath: path + "/" + relative) else { throw ReadError(description: "\(relative): cannot read it") }
            files.append((relative, data))
        }
        return files.sorted { $0.0 < $1.0 }
    }

    static func zip(_ path: String) throws -> [(name: String, data: Data)] {
        let archive: Archive
        do { archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read) } catch {
            throw ReadError(description: "\(path): not a folder or a zip archive (\(error))")
        }
        var files: [(String, Data)] = []
        for entry in archive where entry.type == .file && entry.path.hasSuffix(".json") {
            guard files.count < maxRecords else { throw ReadError(description: "\(path): more than \(maxRecords) records") }
            guard entry.uncompressedSize <= UInt64(Catalog.maxAdvisoryBytes) else {
                throw ReadError(description: "\(entry.path): larger than \(Catalog.maxAdvisoryBytes) bytes")
            }
            var data = Data()
            do {
                _ = try archive.extract(entry, skipCRC32: false) { chunk in data.append(chunk) }
            } catch {
                throw ReadError(description: "\(entry.path): cannot extract it (\(error))")
            }
            files.append((entry.path, data))
        }
        return files.sorted { $0.0 < $1.0 }
    }
}
