/// A streaming reader of tar archives (POSIX ustar, with GNU long names and PAX `path` /
/// `linkpath` records), fed bytes as they arrive. It keeps the contents of wanted files only,
/// and reports every entry's path and type, which is all layer reading needs (whiteouts are
/// entries too). Hand-written: no maintained Swift tar library exists; the format is
/// POSIX.1-2001 pax (IEEE Std 1003.1, "pax" Interchange Format).
struct TarReader {
    struct Entry: Sendable, Hashable {
        enum Kind: Sendable, Hashable { case file, directory, symlink, hardlink, other }
        var path: String
        var kind: Kind
        var linkTarget: String?
        /// The contents, for wanted regular files.
        var data: [UInt8]?
        /// Permission bits with setuid, setgid and sticky (the header's mode, & 0o7777).
        var mode: Int = 0
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let wanted: (String) -> Bool
    let maxFileBytes: Int
    private(set) var entries: [Entry] = []
    private(set) var finished = false
    /// Bytes of the tar stream read so far (the layer uncompressed).
    private(set) var bytesRead = 0

    private var buffer: [UInt8] = []
    /// Bytes of the current entry's contents still to come, and its padding after them.
    private var remaining = 0
    private var padding = 0
    private var current: Entry?
    private var collecting: [UInt8]?
    private var collectingKind: UInt8 = 0
    private var longName: String?
    private var longLink: String?
    private var paxPath: String?
    private var paxLink: String?
    private var zeroBlocks = 0

    init(maxFileBytes: Int, wanted: @escaping (String) -> Bool) {
        self.maxFileBytes = maxFileBytes
        self.wanted = wanted
    }

    /// Normalises a tar path: no `./` or `/` prefix.
    static func clean(_ path: String) -> String {
        var p = Substring(path)
        while p.hasPrefix("./") || p.hasPrefix("/") { p = p.hasPrefix("./") ? p.dropFirst(2) : p.dropFirst() }
        while p.hasSuffix("/") { p = p.dropLast() }
        return String(p)
    }

    mutating func feed(_ bytes: some Collection<UInt8>) throws {
        bytesRead += bytes.count
        guard !finished else { return }
        var input = ArraySlice(bytes)
        while !input.isEmpty && !finished {
            if remaining > 0 {
                let take = min(remaining, input.count)
                if collecting != nil { collecting!.append(contentsOf: input.prefix(take)) }
                input = input.dropFirst(take)
                remaining -= take
                if remaining == 0 { try finishContents() }
                continue
            }
            if padding > 0 {
                let take = min(padding, input.count)
                input = input.dropFirst(take)
                padding -= take
                continue
            }
            let need = 512 - buffer.count
            buffer.append(contentsOf: input.prefix(need))
            input = input.dropFirst(need)
            if buffer.count == 512 {
                let header = buffer
                buffer.removeAll(keepingCapacity: true)
                try readHeader(header)
            }
        }
    }

    private mutating func readHeader(_ h: [UInt8]) throws {
        if h.allSatisfy({ $0 == 0 }) {
            zeroBlocks += 1
            if zeroBlocks == 2 { finished = true }
            return
        }
        zeroBlocks = 0
        let stored = Self.octal(h[148..<156])
        let sum = h.enumerated().reduce(0) { $0 + (148..<156 ~= $1.offset ? 32 : Int($1.element)) }
        guard stored == sum else { throw Failure(description: "tar header checksum mismatch (not a tar layer, or a corrupt one)") }
        let size = try Self.size(h[124..<136])
        let type = h[156]
        var name = Self.string(h[0..<100])
        let prefix = Self.string(h[345..<500])
        if h[257..<262].elementsEqual("ustar".utf8), !prefix.isEmpty { name = prefix + "/" + name }
        let link = Self.string(h[157..<257])
        remaining = size
        padding = (512 - size % 512) % 512
        switch type {
        case UInt8(ascii: "L"), UInt8(ascii: "K"), UInt8(ascii: "x"), UInt8(ascii: "g"):
            // Metadata for the next entry: collect it whatever its size (bounded).
            guard size <= 1 << 20 else { throw Failure(description: "tar metadata record of \(size) bytes") }
            collecting = []
            collectingKind = type
            current = nil
        default:
            let kind: Entry.Kind =
                switch type {
                case 0, UInt8(ascii: "0"), UInt8(ascii: "7"): .file
                case UInt8(ascii: "5"): .directory
                case UInt8(ascii: "2"): .symlink
                case UInt8(ascii: "1"): .hardlink
                default: .other
                }
            let path = Self.clean(paxPath ?? longName ?? name)
            let target = paxLink ?? longLink ?? (link.isEmpty ? nil : link)
            longName = nil; longLink = nil; paxPath = nil; paxLink = nil
            let entry = Entry(path: path, kind: kind, linkTarget: target, data: nil, mode: Self.octal(h[100..<108]) & 0o7777)
            if kind == .file, wanted(path) {
                guard size <= maxFileBytes else { throw Failure(description: "\(path) is \(size) bytes, over the \(maxFileBytes)-byte limit") }
                collecting = []
                collectingKind = 0
                current = entry
            } else {
                collecting = nil
                current = nil
                entries.append(entry)
            }
        }
        if remaining == 0 { try finishContents() }
    }

    private mutating func finishContents() throws {
        guard let data = collecting else { return }
        collecting = nil
        switch collectingKind {
        case UInt8(ascii: "L"): longName = Self.string(data[...])
        case UInt8(ascii: "K"): longLink = Self.string(data[...])
        case UInt8(ascii: "x"):
            let records = Self.pax(data)
            paxPath = records["path"]
            paxLink = records["linkpath"]
        case UInt8(ascii: "g"): break
        default:
            if var entry = current {
                entry.data = data
                entries.append(entry)
            }
            current = nil
        }
        collectingKind = 0
    }

    /// PAX extended header records: `<length> <key>=<value>\n`.
    static func pax(_ data: [UInt8]) -> [String: String] {
        var result: [String: String] = [:]
        var index = 0
        while index < data.count {
            guard let space = data[index...].firstIndex(of: UInt8(ascii: " ")),
                let length = Int(String(decoding: data[index..<space], as: UTF8.self)), length > 0, index + length <= data.count
            else { break }
            let record = String(decoding: data[(space + 1)..<(index + length - 1)], as: UTF8.self)
            if let equals = record.firstIndex(of: "=") { result[String(record[..<equals])] = String(record[record.index(after: equals)...]) }
            index += length
        }
        return result
    }

    static func string(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    static func octal(_ bytes: ArraySlice<UInt8>) -> Int {
        bytes.drop { $0 == UInt8(ascii: " ") || $0 == 0 }.prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "7") }
            .reduce(0) { $0 * 8 + Int($1 - UInt8(ascii: "0")) }
    }

    /// The size field: octal, or GNU base-256 when its first byte has the high bit set.
    static func size(_ bytes: ArraySlice<UInt8>) throws -> Int {
        guard let first = bytes.first else { return 0 }
        if first & 0x80 != 0 {
            var value = Int(first & 0x7F)
            for byte in bytes.dropFirst() {
                guard value < Int.max >> 8 else { throw Failure(description: "tar entry size overflows") }
                value = value << 8 | Int(byte)
            }
            return value
        }
        return octal(bytes)
    }
}

/// A whole tar archive read at once, as layers are read (in pieces, as they arrive): the
/// paths of its entries, in order. For tools, and the fuzz target.
public enum TarArchive {
    public static func paths(of bytes: [UInt8], pieceSize: Int = 4096, maxFileBytes: Int = 1 << 20) throws -> [String] {
        var reader = TarReader(maxFileBytes: maxFileBytes, wanted: RegistryClient.isWanted)
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + max(1, pieceSize))
            try reader.feed(bytes[start..<end])
            start = end
        }
        return reader.entries.map(\.path)
    }
}
