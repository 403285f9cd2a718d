/// How a `RegistryClient` behaves toward registries.
public struct RegistryConfiguration: Sendable {
    /// Registries (`host[:port]`) reached over plain HTTP although not on loopback
    /// (`--insecure-registry`, `PLINTH_INSECURE_REGISTRIES`). Loopback registries always are,
    /// as Docker does.
    public var insecureRegistries: Set<String> = []
    /// Time for one request, connect to last byte.
    public var requestTimeout: Duration = .seconds(30)
    /// How long a connection (TLS handshake included) may take to open.
    public var connectTimeout: Duration = .seconds(10)
    /// Manifests and indexes larger than this are refused (distribution-spec suggests 4 MiB).
    public var maxManifestBytes = 4 << 20
    /// Config blobs larger than this are refused.
    public var maxConfigBytes = 8 << 20
    /// Layer blobs read for packages larger than this are refused (compressed size; the
    /// decompressed stream may be up to 8 times larger).
    public var maxLayerBytes = 512 << 20
    /// Whether sync reads each new platform manifest's layers for its OS and packages.
    public var readPackages = true
    /// Requests in flight to one registry at once.
    public var maxConcurrentRequestsPerRegistry = 8
    /// Attempts of one request when failures are transient (5xx, timeouts, broken connections, 429).
    public var maxAttempts = 4
    /// First retry delay; doubled each time, up to `maxBackoff`, with full jitter.
    public var initialBackoff: Duration = .milliseconds(200)
    public var maxBackoff: Duration = .seconds(5)
    /// The longest `Retry-After` honoured; a registry asking for more fails the request.
    public var maxRetryAfter: Duration = .seconds(60)
    /// Redirects followed for one request.
    public var maxRedirects = 5
    /// PEM files of certificate authorities trusted for registries' TLS besides the system's
    /// (`--registry-ca`, `PLINTH_REGISTRY_CA`): a private registry's own CA.
    public var additionalTrustRoots: [String] = []

    public init() {}
}
