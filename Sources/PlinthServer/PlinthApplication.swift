public import Foundation
public import Hummingbird
public import Logging
import OpenAPIHummingbird
import OpenAPIRuntime
import NIOPosix
public import NIOSSL
import HummingbirdCore
import HummingbirdTLS
public import PlinthCatalog
public import Prometheus

/// Where the server listens, and how long and how many connections it holds.
public struct ServerSettings: Sendable {
    public var hostname: String
    public var port: Int
    /// Event loop threads; nil uses one per core.
    public var eventLoopThreads: Int?
    /// Reads need a token too (`--auth-reads`).
    public var authReads: Bool
    /// A connection with no complete request for this long is closed: an idle keep-alive
    /// connection, or a client that has not finished its request head (`--idle-timeout`).
    public var idleTimeout: Duration
    /// Connections held open at once; more are closed as soon as they are accepted
    /// (`--max-connections`).
    public var maxConnections: Int

    /// Serve HTTPS (TLS 1.3 at least) instead of plain HTTP (`--tls-cert`, `--tls-key`).
    public var tls: ServerTLS?

    public static let defaultIdleTimeout: Duration = .seconds(30)
    public static let defaultMaxConnections = 4096

    public init(
        hostname: String = "127.0.0.1", port: Int = 8080, eventLoopThreads: Int? = nil, authReads: Bool = false,
        idleTimeout: Duration = ServerSettings.defaultIdleTimeout, maxConnections: Int = ServerSettings.defaultMaxConnections,
        tls: ServerTLS? = nil
    ) {
        self.tls = tls
        self.hostname = hostname
        self.port = port
        self.eventLoopThreads = eventLoopThreads
        self.authReads = authReads
        self.idleTimeout = idleTimeout
        self.maxConnections = maxConnections
    }
}

/// The server's certificate and key, and the authorities a client certificate must chain to
/// when clients must present one (mutual TLS). TLS 1.3 is the least version spoken: OPA
/// Gatekeeper requires it of external data providers, and nothing Plinth serves needs less.
public struct ServerTLS: Sendable {
    public var configuration: TLSConfiguration

    /// A clear reason the files cannot be served with.
    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    /// Reads the PEM files now, so that a bad file stops `plinth serve` before it listens.
    public init(certificateFile: String, keyFile: String, clientCAFile: String? = nil) throws {
        let chain: [NIOSSLCertificate]
        do { chain = try NIOSSLCertificate.fromPEMFile(certificateFile) } catch {
            throw Invalid(description: "--tls-cert '\(certificateFile)': not a readable PEM certificate (\(error))")
        }
        guard !chain.isEmpty else { throw Invalid(description: "--tls-cert '\(certificateFile)': holds no certificate") }
        let key: NIOSSLPrivateKey
        do { key = try NIOSSLPrivateKey(file: keyFile, format: .pem) } catch {
            throw Invalid(description: "--tls-key '\(keyFile)': not a readable PEM private key (\(error))")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv13
        if let clientCAFile {
            let authorities: [NIOSSLCertificate]
            do { authorities = try NIOSSLCertificate.fromPEMFile(clientCAFile) } catch {
                throw Invalid(description: "--tls-client-ca '\(clientCAFile)': not a readable PEM certificate (\(error))")
            }
            guard !authorities.isEmpty else { throw Invalid(description: "--tls-client-ca '\(clientCAFile)': holds no certificate") }
            // A client must present a certificate chaining to these; no host name to check.
            configuration.certificateVerification = .noHostnameVerification
            configuration.trustRoots = .certificates(authorities)
        }
        self.configuration = configuration
    }
}

public enum PlinthApplication {
    /// The OpenAPI document the server was generated from, as embedded at build time.
    public static var openAPIDocument: Data { EmbeddedFiles.files["openapi.yaml"] ?? Data() }

    /// The router with every route of `openapi.yaml` and the middleware stack: metrics,
    /// request logging, problem+json errors, body bounds, bearer authentication.
    /// `sync` runs `POST /v1/sync`; `authReads` makes every read need a token.
    public static func router(
        catalog: Catalog, metrics: PrometheusCollectorRegistry, sync: SyncRunner? = nil, authReads: Bool = false, secureCookies: Bool = false,
        logger: Logger = Logger(label: "plinth.api")
    ) throws -> Router<BasicRequestContext> {
        let handler = APIHandler(catalog: catalog, metrics: metrics, document: openAPIDocument, sync: sync, logger: logger)
        // Compact JSON with sorted keys; slashes unescaped (media types and repositories are full of them).
        let configuration = OpenAPIRuntime.Configuration(
            dateTranscoder: APIDateTranscoder(), jsonEncodingOptions: [.sortedKeys, .withoutEscapingSlashes])
        let recorded = RecordingTransport()
        try handler.registerHandlers(on: recorded, configuration: configuration)

        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: RequestMetricsMiddleware())
        router.add(middleware: AccessLogMiddleware())
        let renderer = try PageRenderer()
        // Errors become HTTP by route family: HTML pages for people, problem+json for /v1.
        router.add(middleware: PageErrorMiddleware(renderer: renderer))
        router.add(middleware: ProblemMiddleware(routes: recorded.table))
        router.add(middleware: BodyLimitMiddleware())
        let sessions = PageSessions()
        router.add(middleware: AuthMiddleware(catalog: catalog, authReads: authReads, sessions: sessions))
        // Route middleware: runs once a route matched, so metrics still name the route.
        let routes = router.group().add(middleware: DigestResponseCache(catalog: catalog))
        try handler.registerHandlers(on: routes, configuration: configuration)
        let pages = router.group()
        PageController(catalog: catalog, renderer: renderer).register(on: pages)
        CuratorPages(catalog: catalog, renderer: renderer, sessions: sessions, secure: secureCookies).register(on: pages)
        return router
    }

    /// The Hummingbird application, to run as a service of a `ServiceGroup`.
    public static func make(
        catalog: Catalog, settings: ServerSettings, metrics: PrometheusCollectorRegistry, sync: SyncRunner?, logger: Logger
    ) throws -> Application<RouterResponder<BasicRequestContext>> {
        let limit = ConnectionLimit(maximum: settings.maxConnections)
        let http1 = HTTPServerBuilder.http1(
            configuration: .init(additionalChannelHandlers: [limit.handler()], idleTimeout: .nanoseconds(Int64(settings.idleTimeout / .nanoseconds(1)))))
        return Application(
            router: try router(
                catalog: catalog, metrics: metrics, sync: sync, authReads: settings.authReads, secureCookies: settings.tls != nil, logger: logger),
            server: try settings.tls.map { try .tls(http1, tlsConfiguration: $0.configuration) } ?? http1,
            configuration: .init(address: .hostname(settings.hostname, port: settings.port), serverName: "plinth"),
            eventLoopGroupProvider: settings.eventLoopThreads.map { .shared(MultiThreadedEventLoopGroup(numberOfThreads: $0)) } ?? .singleton,
            logger: logger)
    }
}
