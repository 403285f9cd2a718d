/// A reference to an image in a registry, parsed and normalised the way Docker's
/// reference grammar does (distribution/reference `ParseNormalizedNamed`):
/// `debian` is `docker.io/library/debian:latest`, `index.docker.io` is `docker.io`,
/// a first path component is a registry host only when it has a `.` or a `:`, is
/// `localhost` or has an upper-case letter, and a reference may carry a tag, a digest or both.
public struct ImageReference: Hashable, Sendable, CustomStringConvertible {
    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case empty
        case invalidFormat(String)
        case nameContainsUppercase(String)
        case nameTooLong(Int)
        case nameIsDigestHex(String)
        case invalidTag(String)
        case invalidDigest(Digest.ParseError)

        public var description: String {
            switch self {
            case .empty: "reference is empty"
            case .invalidFormat(let s): "'\(s)' is not a valid image reference"
            case .nameContainsUppercase(let s): "repository name '\(s)' must be lower case"
            case .nameTooLong(let n): "repository name is \(n) characters long; at most 255 are allowed"
            case .nameIsDigestHex(let s):
                "'\(s)' looks like an image ID: a repository name cannot be 64 hexadecimal characters"
            case .invalidTag(let s): "tag '\(s)' is not valid: up to 128 of [A-Za-z0-9_.-], not starting with '.' or '-'"
            case .invalidDigest(let e): e.description
            }
        }
    }

    public static let dockerHub = "docker.io"

    /// Registry host, with port if any: `docker.io`, `localhost:5000`, `[::1]:5000`.
    public let registry: String
    /// Repository path within the registry: `library/debian`.
    public let path: String
    public let tag: String?
    public let digest: Digest?

    public init(registry: String, path: String, tag: String?, digest: Digest?) {
        self.registry = registry
        self.path = path
        self.tag = tag
        self.digest = digest
    }

    /// `registry/path`, the form catalog entries use: `docker.io/library/debian`.
    public var repository: String { "\(registry)/\(path)" }

    /// The fully normalised text: `docker.io/library/debian:bookworm-slim@sha256:…`.
    public var description: String {
        var text = repository
        if let tag { text += ":" + tag }
        if let digest { text += "@" + digest.description }
        return text
    }

    /// Parses and normalises. Without tag or digest the tag is `latest`, as Docker pulls it.
    public init(parsing text: String) throws(ParseError) {
        guard !text.isEmpty else { throw .empty }
        var rest = Substring(text)
        var digest: Digest?
        if let at = rest.firstIndex(of: "@") {
            do { digest = try Digest(parsing: String(rest[rest.index(after: at)...])) } catch {
                throw .invalidDigest(error)
            }
            rest = rest[..<at]
        }
        // A tag follows the last ':' that comes after the last '/' (a ':' before it is a port).
        var tag: String?
        let lastSlash = rest.lastIndex(of: "/")
        let tail = lastSlash.map { rest[rest.index(after: $0)...] } ?? rest
        if let colon = tail.lastIndex(of: ":") {
            let candidate = String(tail[tail.index(after: colon)...])
            guard Self.isValidTag(candidate) else {
                throw candidate.isEmpty ? .invalidFormat(text) : .invalidTag(candidate)
            }
            tag = candidate
            rest = rest[..<colon]
        }
        guard !rest.isEmpty else { throw .invalidFormat(text) }

        var registry = Self.dockerHub
        var path = String(rest)
        if let slash = rest.firstIndex(of: "/") {
            let first = rest[..<slash]
            // distribution/reference `splitDockerDomain`: a host has a '.' or a ':', is
            // `localhost`, or is not all lower case (`Foo/bar` is the registry `Foo`).
            if first.contains(".") || first.contains(":") || first == "localhost" || first.first == "["
                || first.contains(where: { $0.isUppercase })
            {
                guard Self.isValidDomain(first) else { throw .invalidFormat(text) }
                registry = String(first)
                path = String(rest[rest.index(after: slash)...])
            }
        }
        if registry == "index.docker.io" { registry = Self.dockerHub }
        if registry == Self.dockerHub && !path.contains("/") { path = "library/" + path }

        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        for component in components where !Self.isValidPathComponent(component) {
            if component.contains(where: { $0.isUppercase }),
                Self.isValidPathComponent(Substring(component.lowercased()))
            {
                throw .nameContainsUppercase(path)
            }
            throw .invalidFormat(text)
        }
        // The bound is on the path alone, as distribution/reference counts it since v0.6.0.
        let nameLength = path.utf8.count
        guard nameLength <= 255 else { throw .nameTooLong(nameLength) }
        if text.utf8.count == 64, text.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) {
            throw .nameIsDigestHex(text)
        }
        self.init(registry: registry, path: path, tag: tag ?? (digest == nil ? "latest" : nil), digest: digest)
    }

    /// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`
    public static func isValidTag<S: StringProtocol>(_ tag: S) -> Bool {
        guard let first = tag.utf8.first, tag.utf8.count <= 128 else { return false }
        func word(_ c: UInt8) -> Bool { c.isASCIIAlphanumeric || c == UInt8(ascii: "_") }
        return word(first) && tag.utf8.allSatisfy { word($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    /// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
    static func isValidPathComponent(_ component: Substring) -> Bool {
        let bytes = Array(component.utf8)
        guard let first = bytes.first, let last = bytes.last, first.isLowerAlphanumeric, last.isLowerAlphanumeric
        else { return false }
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            if c.isLowerAlphanumeric { i += 1; continue }
            // A separator run: one '.', one or two '_', or any number of '-'.
            var j = i
            while j < bytes.count, !bytes[j].isLowerAlphanumeric { j += 1 }
            let run = bytes[i..<j]
            let ok =
                run == [UInt8(ascii: ".")] || run == [UInt8(ascii: "_")] || run == [UInt8(ascii: "_"), UInt8(ascii: "_")]
                || run.allSatisfy { $0 == UInt8(ascii: "-") }
            guard ok else { return false }
            i = j
        }
        return true
    }

    /// A host name (labels of `[A-Za-z0-9-]`, not starting or ending with '-'), or a
    /// bracketed IPv6 address, optionally followed by `:port`.
    static func isValidDomain(_ domain: Substring) -> Bool {
        var host = domain
        if domain.first == "[" {
            guard let close = domain.firstIndex(of: "]") else { return false }
            let address = domain[domain.index(after: domain.startIndex)..<close]
            // `\[[a-fA-F0-9:]+\]`: no embedded IPv4 form, no zone.
            guard !address.isEmpty, address.contains(":"), address.allSatisfy({ $0.isHexDigit || $0 == ":" })
            else { return false }
            let after = domain[domain.index(after: close)...]
            if after.isEmpty { return true }
            guard after.first == ":" else { return false }
            return isValidPort(after.dropFirst())
        }
        if let colon = domain.firstIndex(of: ":") {
            guard isValidPort(domain[domain.index(after: colon)...]) else { return false }
            host = domain[..<colon]
        }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            guard let first = label.utf8.first, let last = label.utf8.last else { return false }
            return first.isASCIIAlphanumeric && last.isASCIIAlphanumeric
                && label.utf8.allSatisfy { $0.isASCIIAlphanumeric || $0 == UInt8(ascii: "-") }
        }
    }

    /// `[0-9]+`, as the grammar has it (it bounds no length).
    static func isValidPort(_ port: Substring) -> Bool {
        !port.isEmpty && port.allSatisfy(\.isASCIIDigit)
    }
}

extension UInt8 {
    var isASCIIAlphanumeric: Bool {
        (0x30...0x39).contains(self) || (0x41...0x5A).contains(self) || (0x61...0x7A).contains(self)
    }
    var isLowerAlphanumeric: Bool { (0x30...0x39).contains(self) || (0x61...0x7A).contains(self) }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
