import PlinthCore

/// A failure talking to a registry: what went wrong, the HTTP status and distribution error
/// codes when there were some, and whether trying again may help (go-containerregistry's
/// `transport.Error` carries the same).
public struct RegistryError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The registry could not be reached or the connection broke.
        case unreachable
        /// No answer in time.
        case timeout
        /// The registry answered with an error status.
        case status
        /// 401 even after authenticating, or no credentials for a registry that wants them.
        case unauthorized
        /// 429, after honouring Retry-After as long as allowed.
        case rateLimited
        case notFound
        /// A body was larger than the bound for its kind.
        case tooLarge
        /// The bytes received do not hash to the digest asked for or announced.
        case digestMismatch
        /// The body ended before its announced length.
        case truncated
        /// The body is not the manifest it claims to be.
        case invalidManifest
        /// The registry's authentication challenge or token answer could not be understood.
        case invalidAuthentication
        /// A redirect that could not be followed.
        case badRedirect
    }

    public var kind: Kind
    public var registry: String
    public var status: Int?
    /// Distribution-spec error codes from the body (`MANIFEST_UNKNOWN`, `DENIED`, ...).
    public var codes: [String]
    public var message: String

    public init(_ kind: Kind, registry: String, status: Int? = nil, codes: [String] = [], message: String) {
        self.kind = kind
        self.registry = registry
        self.status = status
        self.codes = codes
        self.message = message
    }

    /// Whether the same request may succeed if tried again later.
    public var isTransient: Bool {
        switch kind {
        case .unreachable, .timeout, .truncated, .rateLimited: true
        case .status: status.map { [408, 500, 502, 503, 504].contains($0) } ?? false
        default: false
        }
    }

    public var description: String {
        var text = "\(registry): \(message)"
        if let status { text += " (HTTP \(status)" + (codes.isEmpty ? ")" : ", \(codes.joined(separator: ", ")))") }
        return text
    }
}
