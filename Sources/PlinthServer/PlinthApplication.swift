public import Foundation
public import Hummingbird
public import Logging
import OpenAPIHummingbird
import OpenAPIRuntime
public import PlinthCatalog
public import Prometheus

/// Where the server listens.
public struct ServerSettings: Sendable {
    public var hostname: String
    public var port: Int

    public init(hostname: String = "127.0.0.1", port: Int = 8080) {
        self.hostname = hostname
        self.port = port
    }
}

public enum PlinthApplication {
    /// The OpenAPI document the server was generated from, as embedded at build time.
    public static var openAPIDocument: Data { EmbeddedFiles.files["openapi.yaml"] ?? Data() }

    /// The router with every route of `openapi.yaml` and the middleware stack: metrics,
    /// request logging, problem+json errors, body bounds.
    public static func router(catalog: Catalog, metrics: PrometheusCollectorRegistry) throws -> Router<BasicRequestContext> {
        let handler = APIHandler(catalog: catalog, metrics: metrics, document: openAPIDocument)
        // Compact JSON with sorted keys; slashes unescaped (media types and repositories are full of them).
        let configuration = OpenAPIRuntime.Configuration(jsonEncodingOptions: [.sortedKeys, .withoutEscapingSlashes])
        let routes = RecordingTransport()
        try handler.registerHandlers(on: routes, configuration: configuration)

        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: LogRequestsMiddleware(.debug))
        router.add(middleware: ProblemMiddleware(routes: routes.table))
        router.add(middleware: BodyLimitMiddleware())
        try handler.registerHandlers(on: router, configuration: configuration)
        return router
    }

    /// The Hummingbird application, to run as a service of a `ServiceGroup`.
    public static func make(
        catalog: Catalog, settings: ServerSettings, metrics: PrometheusCollectorRegistry, logger: Logger
    ) throws -> some ApplicationProtocol {
        Application(
            router: try router(catalog: catalog, metrics: metrics),
            configuration: .init(address: .hostname(settings.hostname, port: settings.port), serverName: "plinth"),
            logger: logger)
    }
}
