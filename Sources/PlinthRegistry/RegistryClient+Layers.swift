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
    public func contents(registry: String, path: String, layers: [Descriptor], logger: Logger) async throws -> ImageContents {
        var files: [String: TarReader.Entry] = [:]
        for layer in layers {
            let entries = try await layerEntries(registry: registry, path: path, layer: layer, logger: logger)
            // Whiteouts hide what the layers below put there (image-spec layer.md, "Whiteouts").
            for entry in entries {
                let name = entry.path.split(separator: "/").last.map(String.init) ?? entry.path
                guard name.hasPrefix(".wh.") else { continue }
                let folder = entry.path.count > name.count ? String(entry.path.dropLast(name.count + 1)) : ""
                if name == ".wh..wh..opq" {
                    files = files.filter { !$0.key.hasPrefix(folder.isEmpty ? "" : folder + "/") }
                } else {
                    let hidden = (folder.isEmpty ? "" : folder + "/") + name.dropFirst(4)
                    files = files.filter { $0.key != hidden && !$0.key.hasPrefix(hidden + "/") }
                }
            }
            for entry in entries where !(entry.path.split(separator: "/").last ?? "").hasPrefix(".wh.") {
                if entry.kind == .directory { continue }
                if Self.isWanted(entry.path) {
                    files[entry.path] = entry
                } else {
                    files[entry.path] = nil
                }
            }
        }
        var contents = ImageContents(os: nil, packages: [], notes: [])
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

    /// One layer's tar entries (wanted files with their contents).
    func layerEntries(registry: String, path: String, layer: Descriptor, logger: Logger) async throws -> [TarReader.Entry] {
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
        return reader.entries
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
