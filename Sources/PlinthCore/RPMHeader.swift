/// A package as its rpm header says: the tags an rpm database keeps per installed package.
public struct RPMPackage: Sendable, Hashable {
    public var name: String
    public var epoch: Int?
    public var version: String
    public var release: String
    public var arch: String?
    /// The source rpm's file name (`bash-5.1.8-1.cm2.src.rpm`); nil for `gpg-pubkey` entries.
    public var sourceRPM: String?
    /// `name:stream:version:context` for a package from a module stream (RHEL 8 appstream).
    public var modularityLabel: String?

    public init(
        name: String, epoch: Int?, version: String, release: String, arch: String?, sourceRPM: String?, modularityLabel: String? = nil
    ) {
        self.name = name
        self.epoch = epoch
        self.version = version
        self.release = release
        self.arch = arch
        self.sourceRPM = sourceRPM
        self.modularityLabel = modularityLabel
    }

    /// `[epoch:]version-release`, the EVR rpm compares.
    public var evr: String { (epoch.map { "\($0):" } ?? "") + version + "-" + release }

    /// The source package's name and version-release, from the source rpm's file name
    /// (`glibc-2.34-60.el9.src.rpm` is `glibc`, `2.34-60.el9`).
    public var source: (name: String, versionRelease: String)? {
        guard var file = sourceRPM else { return nil }
        for suffix in [".src.rpm", ".nosrc.rpm"] where file.hasSuffix(suffix) {
            file.removeLast(suffix.count)
            break
        }
        let parts = file.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 3 else { return nil }
        return (parts.dropLast(2).joined(separator: "-"), parts.suffix(2).joined(separator: "-"))
    }

    /// The module stream (`nodejs:18`) of a modular package.
    public var moduleStream: String? {
        guard let label = modularityLabel else { return nil }
        let parts = label.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        return "\(parts[0]):\(parts[1])"
    }

    /// As Plinth keeps every OS package: the EVR as its version, and the source package's
    /// name and EVR (the binary's epoch applies to its source: the file name carries none).
    public var installed: InstalledPackage {
        let source = source
        return InstalledPackage(
            type: "rpm", name: name, version: evr, arch: arch, sourceName: source?.name,
            sourceVersion: source.map { (epoch.map { "\($0):" } ?? "") + $0.versionRelease }, sourceRPM: sourceRPM, module: modularityLabel)
    }
}

/// rpm's header format, as each rpm database stores a package (`lib/header.c`: the blob a
/// database holds is the header without its lead): a big-endian count of index entries and
/// the length of the data store, the entries (tag, type, offset, count; 16 bytes each), then
/// the data store. Every count, offset and length is checked against the blob before it is
/// read; rpm's own limits on the counts apply.
public enum RPMHeader {
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// rpm refuses headers with more index entries or data than this (`hdrchkTags`, `hdrchkData`).
    public static let maxEntries = 0xffff
    public static let maxDataBytes = 0x0fff_ffff

    enum Tag: Int32 {
        case name = 1000, version = 1001, release = 1002, epoch = 1003, arch = 1022, sourceRPM = 1044, modularityLabel = 5096
    }

    enum Kind: UInt32 {
        case null = 0, char, int8, int16, int32, int64, string, bin, stringArray, i18nString
    }

    /// The package one header blob describes.
    public static func package(_ blob: some Collection<UInt8>) throws(Failure) -> RPMPackage {
        let bytes = Array(blob)
        guard bytes.count >= 8 else { throw Failure(description: "rpm header: \(bytes.count) bytes, shorter than its 8-byte preamble") }
        let entries = Int(bigEndian32(bytes, at: 0)), dataLength = Int(bigEndian32(bytes, at: 4))
        guard entries >= 1, entries <= maxEntries else { throw Failure(description: "rpm header: \(entries) index entries (rpm allows 1 to \(maxEntries))") }
        guard dataLength <= maxDataBytes else { throw Failure(description: "rpm header: data store of \(dataLength) bytes (rpm allows \(maxDataBytes))") }
        let dataStart = 8 + entries * 16
        guard dataStart + dataLength <= bytes.count else {
            throw Failure(description: "rpm header: \(entries) entries and \(dataLength) data bytes need \(dataStart + dataLength) bytes; the blob has \(bytes.count)")
        }
        var found: [Tag: (kind: UInt32, offset: Int, count: Int)] = [:]
        for i in 0..<entries {
            let at = 8 + i * 16
            guard let tag = Tag(rawValue: Int32(bitPattern: bigEndian32(bytes, at: at))), found[tag] == nil else { continue }
            let offset = Int(Int32(bitPattern: bigEndian32(bytes, at: at + 8)))
            guard offset >= 0, offset < dataLength else {
                throw Failure(description: "rpm header: tag \(tag.rawValue) points at offset \(offset), outside the \(dataLength)-byte data store")
            }
            found[tag] = (bigEndian32(bytes, at: at + 4), offset, Int(bigEndian32(bytes, at: at + 12)))
        }
        let data = bytes[dataStart..<(dataStart + dataLength)]

        func string(_ tag: Tag) throws(Failure) -> String? {
            guard let entry = found[tag] else { return nil }
            guard let kind = Kind(rawValue: entry.kind), [.string, .stringArray, .i18nString].contains(kind), entry.count >= 1 else {
                throw Failure(description: "rpm header: tag \(tag.rawValue) has type \(entry.kind) and count \(entry.count), not a string")
            }
            // The first string (an i18n string's first locale), up to its NUL.
            let start = data.startIndex + entry.offset
            guard let end = data[start...].firstIndex(of: 0) else {
                throw Failure(description: "rpm header: the string of tag \(tag.rawValue) is not terminated within the data store")
            }
            return String(decoding: data[start..<end], as: UTF8.self)
        }

        func required(_ tag: Tag, _ what: String) throws(Failure) -> String {
            guard let value = try string(tag) else { throw Failure(description: "rpm header: no \(what) (tag \(tag.rawValue))") }
            return value
        }

        var epoch: Int?
        if let entry = found[.epoch] {
            guard entry.kind == Kind.int32.rawValue, entry.count >= 1, entry.offset + 4 <= dataLength else {
                throw Failure(description: "rpm header: the epoch (tag 1003) has type \(entry.kind) and count \(entry.count), not one 32-bit integer")
            }
            epoch = Int(bigEndian32(bytes, at: dataStart + entry.offset))
        }
        return RPMPackage(
            name: try required(.name, "name"), epoch: epoch, version: try required(.version, "version"),
            // rpm records "(none)" as the source rpm of its gpg-pubkey entries.
            release: try required(.release, "release"), arch: try string(.arch), sourceRPM: try string(.sourceRPM).flatMap { $0 == "(none)" ? nil : $0 },
            modularityLabel: try string(.modularityLabel))
    }

    static func bigEndian32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }
}
