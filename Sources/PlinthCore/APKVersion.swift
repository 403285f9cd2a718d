/// Alpine package versions, ordered as apk-tools orders them (`src/version.c`; apk-package(5)):
/// `number{.number}...{letter}{_suffix{number}}...{~hash}{-rN}`. Invalid strings still compare
/// (up to where they stop making sense), as apk's do. Used for Alpine, Chainguard and Wolfi.
public enum APKVersion {
    /// Token kinds in the order a version may contain them; a later kind after an earlier
    /// one is fine, the reverse (mostly) is not.
    enum Kind: Int, Comparable {
        case initialDigit, digit, letter, suffix, suffixNumber, commitHash, revision, end, invalid

        static func < (a: Kind, b: Kind) -> Bool { a.rawValue < b.rawValue }
    }

    /// Suffixes: pre-releases sort before no suffix, post-releases after.
    static let suffixes: [String: Int] = ["alpha": 0, "beta": 1, "pre": 2, "rc": 3, "cvs": 5, "svn": 6, "git": 7, "hg": 8, "p": 9]
    static let noSuffix = 4

    struct Token {
        var kind: Kind
        var number: UInt64 = 0
        var suffix = 0
        var text: ArraySlice<UInt8> = []
    }

    /// Reads one version's tokens, one at a time.
    struct Tokenizer {
        let bytes: [UInt8]
        var position = 0

        init(_ text: String) { bytes = Array(text.utf8) }

        mutating func digits(into token: inout Token) {
            let start = position
            var value: UInt64 = 0
            while position < bytes.count, isDigit(bytes[position]) {
                value = value &* 10 &+ UInt64(bytes[position] - UInt8(ascii: "0"))
                position += 1
            }
            token.number = value
            token.text = bytes[start..<position]
            if start == position { token.kind = .invalid }
        }

        mutating func first() -> Token {
            var token = Token(kind: .initialDigit)
            digits(into: &token)
            return token
        }

        /// The token after `previous`.
        mutating func next(after previous: Token) -> Token {
            guard position < bytes.count else { return Token(kind: .end) }
            var token = Token(kind: .invalid)
            let c = bytes[position]
            switch c {
            case UInt8(ascii: "a")...UInt8(ascii: "z"):
                guard previous.kind <= .digit else { return token }
                token.kind = .letter
                token.text = bytes[position..<position + 1]
                position += 1
            case UInt8(ascii: "."), UInt8(ascii: "0")...UInt8(ascii: "9"):
                if c == UInt8(ascii: ".") {
                    guard previous.kind <= .digit else { return token }
                    position += 1
                }
                switch previous.kind {
                case .initialDigit, .digit: token.kind = .digit
                case .suffix: token.kind = .suffixNumber
                default: return token
                }
                digits(into: &token)
            case UInt8(ascii: "_"):
                guard previous.kind <= .suffixNumber else { return token }
                position += 1
                let start = position
                while position < bytes.count, bytes[position] >= UInt8(ascii: "a"), bytes[position] <= UInt8(ascii: "z") { position += 1 }
                guard let suffix = Self.suffix(bytes[start..<position]) else { return token }
                token.kind = .suffix
                token.suffix = suffix
                token.text = bytes[start..<position]
            case UInt8(ascii: "~"):
                guard previous.kind < .commitHash else { return token }
                position += 1
                let start = position
                while position < bytes.count, isHex(bytes[position]) { position += 1 }
                guard position > start else { return token }
                token.kind = .commitHash
                token.text = bytes[start..<position]
            case UInt8(ascii: "-"):
                guard previous.kind < .revision, position + 1 < bytes.count, bytes[position + 1] == UInt8(ascii: "r") else { return token }
                position += 2
                token.kind = .revision
                digits(into: &token)
            default:
                break
            }
            return token
        }

        static func suffix(_ name: ArraySlice<UInt8>) -> Int? { APKVersion.suffixes[String(decoding: name, as: UTF8.self)] }
    }

    static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
    static func isHex(_ c: UInt8) -> Bool { isDigit(c) || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "f")) }

    /// Whether apk accepts the version as valid.
    public static func isValid(_ version: String) -> Bool {
        var tokenizer = Tokenizer(version)
        var token = tokenizer.first()
        while token.kind < .end { token = tokenizer.next(after: token) }
        return token.kind == .end
    }

    /// -1, 0 or 1 as apk orders `a` and `b`.
    public static func compare(_ a: String, _ b: String) -> Int { compare(a, b, fuzzy: false) }

    /// With `fuzzy`, `a` equals `b` when `b`'s tokens are a prefix of `a`'s (apk's `~`).
    static func compare(_ a: String, _ b: String, fuzzy: Bool) -> Int {
        var x = Tokenizer(a), y = Tokenizer(b)
        var ta = x.first(), tb = y.first()
        while ta.kind == tb.kind && ta.kind < .end {
            let order = compareTokens(ta, tb)
            if order != 0 { return order }
            ta = x.next(after: ta)
            tb = y.next(after: tb)
        }
        if ta.kind == tb.kind { return 0 }
        if tb.kind == .end && fuzzy { return 0 }
        // Equal so far; the side that goes on is newer unless what follows is a pre-release.
        if ta.kind == .suffix && ta.suffix < noSuffix { return -1 }
        if tb.kind == .suffix && tb.suffix < noSuffix { return 1 }
        if ta.kind > tb.kind { return -1 }
        if tb.kind > ta.kind { return 1 }
        return 0
    }

    static func compareTokens(_ a: Token, _ b: Token) -> Int {
        switch a.kind {
        case .digit where a.text.first == UInt8(ascii: "0") || b.text.first == UInt8(ascii: "0"):
            // A later number with a leading zero compares as text (as Gentoo does): 1.01 < 1.1.
            return compareBytes(a.text, b.text)
        case .initialDigit, .digit, .suffixNumber, .revision:
            return a.number == b.number ? 0 : a.number < b.number ? -1 : 1
        case .letter:
            return compareBytes(a.text, b.text)
        case .suffix:
            return a.suffix == b.suffix ? 0 : a.suffix < b.suffix ? -1 : 1
        default:
            return compareBytes(a.text, b.text)
        }
    }

    static func compareBytes(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Int {
        a == b ? 0 : a.lexicographicallyPrecedes(b) ? -1 : 1
    }

    /// apk's version match: `op` is `<`, `<=`, `=`, `>=`, `>`, `~` (fuzzy: `b` a prefix of `a`),
    /// `<~`, `>~`, and any of them negated with a leading `!`. Nil for an unknown operator.
    public static func matches(_ a: String, _ op: String, _ b: String) -> Bool? {
        var op = Substring(op)
        let negated = op.first == "!"
        if negated { op = op.dropFirst() }
        guard !op.isEmpty, op.allSatisfy({ "<>=~".contains($0) }) else { return nil }
        let fuzzy = op.contains("~")
        let order = compare(a, b, fuzzy: fuzzy)
        let accepted = (order < 0 && op.contains("<")) || (order > 0 && op.contains(">")) || (order == 0 && (op.contains("=") || fuzzy))
        return accepted != negated
    }
}
