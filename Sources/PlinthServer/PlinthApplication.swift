public import Foundation
public import Hummingbird
public import Logging
import OpenAPIHummingbird
import OpenAPIRuntime
import NIOPosix
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

    public static let defaultIdleTimeout: Duration = .seconds(30)
    public static let defaultMaxConnections = 4096

    public init(
        hostname: String = "127.0.0.1", port: Int = 8080, eventLoopThreads: Int? = nil, authReads: Bool = false,
        idleTimeout: Duration = ServerSettings.defaultIdleTimeout, maxConnections: Int = ServerSettings.defaultMaxConnections
    ) {
        self.hostname = hostname
        self.port = port
        self.eventLoopThreads = eventLoopThreads
        self.authReads = authReads
        self.idleTimeout = idleTimeout
        self.maxConnections = maxConnections
    }
}

public enum PlinthApplication {
    /// The OpenAPI document the server was generated from, as embedded at build time.
    public static var openAPIDocument: Data { EmbeddedFiles.files["openapi.yaml"] ?? Data() }

    /// The router with every route of `openapi.yaml` and the middleware stack: metrics,
    /// request logging, problem+json errors, body bounds, bearer authentication.
    /// `sync` runs `POST /v1/sync`; `authReads` makes every read need a token.
    public static func router(
        catalog: Catalog, metrics: PrometheusCollectorRegistry, sync: SyncRunner? = nil, authReads: Bool = false,
        logger: Logger = Logger(label: "plinth.api")
    ) throws -> Router<BasicRequestContext> {
        let handler = APIHandler(catalog: catalog, metrics: metrics, document: openAPIDocument, sync: sync, logger: logger)
        // Compact JSON with sorted keys; slashes unescaped (media types and repositories are full of them).
        let configuration = OpenAPIRuntime.Configuration(
            dateTranscoder: APIDateTranscoder(), jsonEncodingOptions: [.sortedKeys, .withoutEscapingSlashes])
        let recorded = RecordingTransport()
        try handler.registerHandlers(on: recorded, configuration: configuration)

        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: AccessLogMiddleware())
        let renderer = try PageRenderer()
        // Errors become HTTP by route family: HTML pages for people, problem+json for /v1.
        router.add(middleware: PageErrorMiddleware(renderer: renderer))
        router.add(middleware: ProblemMiddleware(routes: recorded.table))
        router.add(middleware: BodyLimitMiddleware())
        router.add(middleware: AuthMiddleware(catalog: catalog, authReads: authReads))
        // Route middleware: runs once a route matched, so metrics still name the route.
        let routes = router.group().add(middleware: DigestResponseCache(catalog: catalog))
        try handler.registerHandlers(on: routes, configuration: configuration)
        let pages = router.group()
        PageController(catalog: catalog, renderer: renderer).register(on: pages)
        CuratorPages(catalog: catalog, renderer: renderer, sessions: PageSessions()).register(on: pages)
        return router
    }

    /// The Hummingbird application, to run as a service of a `ServiceGroup`.
    public static func make(
        catalog: Catalog, settings: ServerSettings, metrics: PrometheusCollectorRegistry, sync: SyncRunner?, logger: Logger
    ) throws -> Application<RouterResponder<BasicRequestContext>> {
        let limit = ConnectionLimit(maximum: settings.maxConnections)
        return Application(
            router: try router(catalog: catalog, metrics: metrics, sync: sync, authReads: settings.authReads, logger: logger),
            server: .http1(
                configuration: .init(
                    additionalChannelHandlers: [limit.handler()], idleTimeout: .nanoseconds(Int64(settings.idleTimeout / .nanoseconds(1))))),
            configuration: .init(address: .hostname(settings.hostname, port: settings.port), serverName: "plinth"),
            eventLoopGroupProvider: settings.eventLoopThreads.map { .shared(MultiThreadedEventLoopGroup(numberOfThreads: $0)) } ?? .singleton,
            logger: logger)
    }
}
