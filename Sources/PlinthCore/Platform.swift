/// An image platform, `os/architecture[/variant]`, normalised as containerd does
/// (`platforms.Normalize`): `aarch64` is `arm64`, `arm64` alone means `arm64/v8`,
/// `arm` alone means `arm/v7`, `x86_64` is `amd64`.
public struct Platform: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case empty
        case malformed(String)

        public var description: String {
            switch self {
            case .empty: "platform is empty"
            case .malformed(let s):
                "'\(s)' is not a platform: expected os/architecture[/variant], e.g. linux/amd64 or linux/arm64/v8"
            }
        }
    }

    public let os: String
    public let architecture: String
    public let variant: String?

    public init(os: String, architecture: String, variant: String? = nil) {
        let (arch, normalisedVariant) = Self.normalise(architecture: architecture.lowercased(), variant: variant?.lowercased())
        self.os = os.lowercased()
        self.architecture = arch
        self.variant = normalisedVariant
    }

    public init(parsing text: String) throws(ParseError) {
        guard !text.isEmpty else { throw .empty }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard (2...3).contains(parts.count),
            parts.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { $0.isASCIIAlphanumeric || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") } })
        else { throw .malformed(text) }
        self.init(os: String(parts[0]), architecture: String(parts[1]), variant: parts.count == 3 ? String(parts[2]) : nil)
    }

    /// Attestation manifests in an index are listed as `unknown/unknown`; they are not platforms.
    public var isAttestation: Bool { os == "unknown" && architecture == "unknown" }

    public var description: String {
        variant.map { "\(os)/\(architecture)/\($0)" } ?? "\(os)/\(architecture)"
    }

    public static func < (lhs: Platform, rhs: Platform) -> Bool { lhs.description < rhs.description }

    static func normalise(architecture: String, variant: String?) -> (String, String?) {
        switch architecture {
        case "x86_64", "x86-64", "amd64": return ("amd64", variant == "v1" ? nil : variant)
        case "i386", "386": return ("386", variant)
        case "aarch64", "arm64":
            return ("arm64", variant == nil || variant == "8" ? "v8" : variant)
        case "armhf": return ("arm", "v7")
        case "armel": return ("arm", "v6")
        case "arm":
            switch variant {
            case nil, "7": return ("arm", "v7")
            case "5", "6", "8": return ("arm", "v" + variant!)
            default: return ("arm", variant)
            }
        default: return (architecture, variant)
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { self = try Platform(parsing: text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
