/// A Debian package version, `[epoch:]upstream[-revision]`, ordered as `dpkg --compare-versions`
/// orders them (Debian Policy §5.6.12; dpkg `lib/dpkg/version.c`). Used for Debian and Ubuntu.
public struct DebianVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case empty
        case embeddedSpace(String)
        case badEpoch(String)
        case emptyUpstream(String)

        public var description: String {
            switch self {
            case .empty: "version string is empty"
            case .embeddedSpace(let v): "version '\(v)' has embedded spaces"
            case .badEpoch(let v): "epoch in version '\(v)' is not a number"
            case .emptyUpstream(let v): "version '\(v)' has an empty upstream version"
            }
        }
    }

    public let epoch: UInt32
    public let upstream: String
    /// Empty when the version has none (which orders as `0`).
    public let revision: String

    /// Parses as dpkg does: surrounding blanks ignored; epoch before the first `:`, revision
    /// after the last `-`. Characters dpkg only warns about are accepted, as dpkg accepts them.
    public init(parsing text: String) throws(ParseError) {
        let trimmed = text.trimmingBlanks()
        guard !trimmed.isEmpty else { throw .empty }
        guard !trimmed.contains(where: { $0 == " " || $0 == "\t" }) else { throw .embeddedSpace(trimmed) }
        var rest = Substring(trimmed)
        if let colon = rest.firstIndex(of: ":") {
            let digits = rest[..<colon]
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let epoch = UInt32(digits), epoch <= Int32.max else {
                throw .badEpoch(trimmed)
            }
            self.epoch = epoch
            rest = rest[rest.index(after: colon)...]
        } else {
            epoch = 0
        }
        if let hyphen = rest.lastIndex(of: "-") {
            revision = String(rest[rest.index(after: hyphen)...])
            rest = rest[..<hyphen]
        } else {
            revision = ""
        }
        guard !rest.isEmpty else { throw .emptyUpstream(trimmed) }
        upstream = String(rest)
    }

    public var description: String {
        (epoch > 0 ? "\(epoch):" : "") + upstream + (revision.isEmpty ? "" : "-\(revision)")
    }

    public static func < (a: DebianVersion, b: DebianVersion) -> Bool { compare(a, b) < 0 }

    public static func == (a: DebianVersion, b: DebianVersion) -> Bool { compare(a, b) == 0 }

    public func hash(into hasher: inout Hasher) {
        // Equal versions may be spelled differently (`1.09` and `1.9`): hash what cannot differ.
        hasher.combine(epoch)
    }

    /// -1, 0 or 1: epoch numerically, then upstream, then revision, each with `compareParts`.
    public static func compare(_ a: DebianVersion, _ b: DebianVersion) -> Int {
        if a.epoch != b.epoch { return a.epoch < b.epoch ? -1 : 1 }
        let upstream = compareParts(a.upstream, b.upstream)
        return upstream != 0 ? upstream : compareParts(a.revision, b.revision)
    }

    /// dpkg's comparison of one version part: alternating runs of non-digits (compared
    /// character by character, `~` before the end before letters before everything else) and
    /// digits (compared as numbers, an empty run being 0).
    public static func compareParts(_ a: String, _ b: String) -> Int {
        let x = Array(a.utf8), y = Array(b.utf8)
        var i = 0, j = 0
        while i < x.count || j < y.count {
            var firstDifference = 0
            while (i < x.count && !isDigit(x[i])) || (j < y.count && !isDigit(y[j])) {
                let ac = i < x.count && !isDigit(x[i]) ? order(x[i]) : 0
                let bc = j < y.count && !isDigit(y[j]) ? order(y[j]) : 0
                if ac != bc { return ac < bc ? -1 : 1 }
                i += 1
                j += 1
            }
            while i < x.count && x[i] == UInt8(ascii: "0") { i += 1 }
            while j < y.count && y[j] == UInt8(ascii: "0") { j += 1 }
            while i < x.count && isDigit(x[i]) && j < y.count && isDigit(y[j]) {
                if firstDifference == 0 { firstDifference = Int(x[i]) - Int(y[j]) }
                i += 1
                j += 1
            }
            if i < x.count && isDigit(x[i]) { return 1 }
            if j < y.count && isDigit(y[j]) { return -1 }
            if firstDifference != 0 { return firstDifference < 0 ? -1 : 1 }
        }
        return 0
    }

    static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    /// A non-digit's weight: `~` lowest, then (0) the end of the run, letters, then the rest.
    static func order(_ c: UInt8) -> Int {
        if c == UInt8(ascii: "~") { return -1 }
        if (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z")) { return Int(c) }
        return Int(c) + 256
    }
}

extension String {
    /// Without leading and trailing spaces, tabs and newlines (no Foundation needed).
    func trimmingBlanks() -> String {
        let blanks: Set<Character> = [" ", "\t", "\n", "\r"]
        guard let first = firstIndex(where: { !blanks.contains($0) }), let last = lastIndex(where: { !blanks.contains($0) }) else { return "" }
        return String(self[first...last])
    }
}
