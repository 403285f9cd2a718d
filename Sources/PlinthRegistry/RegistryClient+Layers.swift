import CompressNIO
import Logging
import NIOCore
import PlinthCore

/// What an image's layers say about its OS and packages.
public struct ImageContents: Sendable, Hashable {
    public var os: PackageDatabase.OSRelease?
    public var packages: [InstalledPackage]
    /// What could not be read, for people ("rpm packages not read").
    public var notes: [String]
    /// The attack surface of the merged files and the config (`Surface.report`).
    public var surface: SurfaceReport?
}

extension RegistryClient {
    /// Paths whose contents layer reading keeps.
    static func isWanted(_ path: String) -> Bool {
        path == "etc/os-release" || path == "usr/lib/os-release" || path == "var/lib/dpkg/status" || path == "lib/apk/db/installed"
            || path.hasPrefix("var/lib/dpkg/status.d/") || RPMDatabase.isDatabase(path)
    }

    /// Reads an image's OS and packages from its layers (an image manifest's, in order): each
    /// layer streamed (at most `maxLayerBytes`, verified against its digest), decompressed
    /// (gzip, zstd or plain tar), its whiteouts applied to the layers below (`.wh.NAME`
    /// removes NAME, `.wh..wh..opq` empties its folder), then `os-release` (following its
    /// symlink), dpkg's `status` and `status.d/*`, apk's `installed` and the rpm database
    /// (`RPMDatabase`) read from the result.
    /// With the config's bytes, the surface report too (`Surface.report`, from every path the
    /// layers leave and their tar modes).
    public func contents(registry: String, path: String, layers: [Descriptor], config: [UInt8]? = nil, logger: Logger) async throws -> ImageContents {
        var merged = MergedLayers(keepTree: config != nil)
        var uncompressed = 0
        for layer in layers {
            let (entries, size) = try await layerEntries(registry: registry, path: path, layer: layer, logger: logger)
            uncompressed += size
            merged.apply(entries)
        }
        let files = merged.files
        var contents = ImageContents(os: nil, packages: [], notes: [])
        if let config {
            contents.surface = Surface.report(
                files: merged.tree, layers: layers.count, compressedBytes: layers.reduce(0) { $0 + Int($1.size) }, uncompressedBytes: uncompressed,
                config: config)
        }
        if let release = Self.osRelease(files) { contents.os = PackageDatabase.osRelease(String(decoding: release, as: UTF8.self)) }
        if let status = files["var/lib/dpkg/status"]?.data {
            contents.packages += PackageDatabase.dpkgStatus(String(decoding: status, as: UTF8.self))
        }
        for (path, entry) in files.sorted(by: { $0.key < $1.key }) where path.hasPrefix("var/lib/dpkg/status.d/") && !path.hasSuffix(".md5sums") {
            contents.packages += PackageDatabase.dpkgStatus(String(decoding: entry.data ?? [], as: UTF8.self))
        }
        if let installed = files["lib/apk/db/installed"]?.data {
            contents.packages += PackageDatabase.apkInstalled(String(decoding: installed, as: UTF8.self))
        }
        // One rpm database: the newest layout's, then the newest backend's (rpm converts, and
        // an image may keep the old file beside the new).
        let rpm = RPMDatabase.folders.lazy.flatMap { folder in RPMDatabase.files.lazy.map { folder + "/" + $0 } }.first { files[$0]?.data != nil }
        if let rpm, let data = files[rpm]?.data {
            let read = RPMDatabase.packages(path: rpm, data: data)
            contents.packages += read.packages
            if let note = read.note { contents.notes.append(note) }
        }
        return contents
    }

    /// `etc/os-release`, or the file its symlink names, or `usr/lib/os-release`.
    static func osRelease(_ files: [String: TarReader.Entry]) -> [UInt8]? {
        if let entry = files["etc/os-release"] {
            if entry.kind == .file { return entry.data }
            if let target = entry.linkTarget {
                let resolved = target.hasPrefix("/") ? TarReader.clean(target) : TarReader.clean("etc/" + target).replacingDotDots()
                if let data = files[resolved]?.data { return data }
            }
        }
        return files["usr/lib/os-release"]?.data
    }

    /// One layer's tar entries (wanted files with their contents), and its size uncompressed.
    func layerEntries(registry: String, path: String, layer: Descriptor, logger: Logger) async throws -> ([TarReader.Entry], Int) {
        let type = layer.mediaType.rawValue
        let gzip = type.hasSuffix("gzip"), zstd = type.hasSuffix("zstd")
        guard gzip || zstd || type.hasSuffix(".tar") || type.hasSuffix("tar") else {
            throw RegistryError(.invalidManifest, registry: registry, message: "layer \(layer.digest) has media type '\(type)', not a tar layer")
        }
        var reader = TarReader(maxFileBytes: 64 << 20, wanted: Self.isWanted)
        let maxDecompressed = configuration.maxLayerBytes * 8
        var gunzip = gzip ? try GzipStream(maxBytes: maxDecompressed) : nil
        do {
            let unzstd = zstd ? try ZstdStream(maxBytes: maxDecompressed) : nil
            // Streamed: decompressed and read as it arrives; what was read is kept only if the
            // whole blob hashes to its digest (streamBlob throws otherwise).
            try await streamBlob(registry: registry, path: path, digest: layer.digest, maxBytes: configuration.maxLayerBytes, logger: logger) { chunk in
                if gunzip != nil {
                    try gunzip!.feed(chunk) { try reader.feed($0.readableBytesView) }
                } else if let unzstd {
                    try unzstd.feed(chunk) { try reader.feed($0.readableBytesView) }
                } else {
                    try reader.feed(chunk.readableBytesView)
                }
            }
            try unzstd?.finish()
        } catch let error as TarReader.Failure {
            throw RegistryError(.invalidManifest, registry: registry, message: "layer \(layer.digest): \(error.description)")
        }
        return (reader.entries, reader.bytesRead)
    }
}

/// An image's layers applied in order, whiteouts included (image-spec layer.md,
/// "Whiteouts": `.wh.NAME` removes NAME, `.wh..wh..opq` empties its folder): the wanted files
/// with their contents, and every path's kind, mode and link for the surface report.
struct MergedLayers {
    var files: [String: TarReader.Entry] = [:]
    var tree: [String: Surface.File] = [:]
    /// Whether `tree` is kept (only the surface report needs it).
    var keepTree = true

    mutating func apply(_ entries: [TarReader.Entry]) {
        // Whiteouts hide what the layers below put there; then this layer's own paths.
        for entry in entries {
            let name = entry.path.split(separator: "/").last.map(String.init) ?? entry.path
            guard name.hasPrefix(".wh.") else { continue }
            let folder = entry.path.count > name.count ? String(entry.path.dropLast(name.count + 1)) : ""
            if name == ".wh..wh..opq" {
                let inside = folder.isEmpty ? "" : folder + "/"
                files = files.filter { !$0.key.hasPrefix(inside) }
                tree = tree.filter { !$0.key.hasPrefix(inside) }
            } else {
                let hidden = (folder.isEmpty ? "" : folder + "/") + name.dropFirst(4)
                files = files.filter { $0.key != hidden && !$0.key.hasPrefix(hidden + "/") }
                tree = tree.filter { $0.key != hidden && !$0.key.hasPrefix(hidden + "/") }
            }
        }
        for entry in entries where !(entry.path.split(separator: "/").last ?? "").hasPrefix(".wh.") {
            if keepTree, !entry.path.isEmpty { tree[entry.path] = Surface.File(kind: Self.kind(entry.kind), mode: entry.mode, linkTarget: entry.linkTarget) }
            if entry.kind == .directory { continue }
            files[entry.path] = RegistryClient.isWanted(entry.path) ? entry : nil
        }
    }

    static func kind(_ kind: TarReader.Entry.Kind) -> Surface.File.Kind {
        switch kind {
        case .file: .file
        case .directory: .directory
        case .symlink: .symlink
        case .hardlink: .hardlink
        case .other: .other
        }
    }
}

extension String {
    /// `etc/../usr/lib/os-release` as `usr/lib/os-release`.
    func replacingDotDots() -> String {
        var parts: [Substring] = []
        for part in split(separator: "/") {
            if part == ".." { _ = parts.popLast() } else if part != "." { parts.append(part) }
        }
        return parts.joined(separator: "/")
    }
}
