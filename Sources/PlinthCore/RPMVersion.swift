/// An RPM `[epoch:]version[-release]` (EVR), ordered as rpm orders them (`rpmio/rpmvercmp.cc`,
/// rpm-version(7)). Used for Red Hat, UBI, AlmaLinux, Rocky Linux, Amazon Linux, Fedora, SUSE.
public struct RPMVersion: Sendable, CustomStringConvertible {
    public let epoch: UInt64
    public let version: String
    /// Nil when the EVR has none; a missing release orders before any release.
    public let release: String?

    public init(parsing text: String) {
        var rest = Substring(text.trimmingBlanks())
        if let colon = rest.firstIndex(of: ":"), let epoch = UInt64(rest[..<colon]) {
            self.epoch = epoch
            rest = rest[rest.index(after: colon)...]
        } else {
            epoch = 0
        }
        if let hyphen = rest.lastIndex(of: "-") {
            release = String(rest[rest.index(after: hyphen)...])
            rest = rest[..<hyphen]
        } else {
            release = nil
        }
        version = String(rest)
    }

    public var description: String { (epoch > 0 ? "\(epoch):" : "") + version + (release.map { "-\($0)" } ?? "") }

    /// -1, 0 or 1: epoch, then version, then release (absent before present).
    public static func compare(_ a: RPMVersion, _ b: RPMVersion) -> Int {
        if a.epoch != b.epoch { return a.epoch < b.epoch ? -1 : 1 }
        let version = vercmp(a.version, b.version)
        if version != 0 { return version }
        switch (a.release, b.release) {
        case (nil, nil): return 0
        case (nil, _): return -1
        case (_, nil): return 1
        case (let x?, let y?): return vercmp(x, y)
        }
    }

    /// rpm's segment comparison of one version or release string: separators (anything but
    /// ASCII letters, digits, `~` and `^`) are skipped, never compared; `~` sorts before
    /// anything, even the end; `^` after the end but before anything else; numeric segments
    /// beat alphabetic ones; numbers compare by value, letters by byte.
    public static func vercmp(_ a: String, _ b: String) -> Int {
        if a == b { return 0 }
        let x = Array(a.utf8), y = Array(b.utf8)
        var i = 0, j = 0
        func isAlnum(_ c: UInt8) -> Bool { isDigit(c) || isAlpha(c) }
        let tilde = UInt8(ascii: "~"), caret = UInt8(ascii: "^")
        while i < x.count || j < y.count {
            while i < x.count && !isAlnum(x[i]) && x[i] != tilde && x[i] != caret { i += 1 }
            while j < y.count && !isAlnum(y[j]) && y[j] != tilde && y[j] != caret { j += 1 }
            let ax = i < x.count ? x[i] : nil, by = j < y.count ? y[j] : nil
            if ax == tilde || by == tilde {
                if ax != tilde { return 1 }
                if by != tilde { return -1 }
                i += 1
                j += 1
                continue
            }
            if ax == caret || by == caret {
                if ax == nil { return -1 }
                if by == nil { return 1 }
                if ax != caret { return 1 }
                if by != caret { return -1 }
                i += 1
                j += 1
                continue
            }
            guard let first = ax, by != nil else { break }
            let numeric = isDigit(first)
            let startI = i, startJ = j
            if numeric {
                while i < x.count && isDigit(x[i]) { i += 1 }
                while j < y.count && isDigit(y[j]) { j += 1 }
            } else {
                while i < x.count && isAlpha(x[i]) { i += 1 }
                while j < y.count && isAlpha(y[j]) { j += 1 }
            }
            // The other side's segment is of the other kind: a number beats letters.
            if j == startJ { return numeric ? 1 : -1 }
            var one = x[startI..<i], two = y[startJ..<j]
            if numeric {
                one = one.drop { $0 == UInt8(ascii: "0") }
                two = two.drop { $0 == UInt8(ascii: "0") }
                if one.count != two.count { return one.count < two.count ? -1 : 1 }
            }
            if one != two { return one.lexicographicallyPrecedes(two) ? -1 : 1 }
        }
        if i >= x.count && j >= y.count { return 0 }
        return i >= x.count ? -1 : 1
    }

    static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
    static func isAlpha(_ c: UInt8) -> Bool { (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z")) }
}
