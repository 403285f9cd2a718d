import HTTPTypes
import Hummingbird
import OpenAPIRuntime

/// The routes the generated code registers, so that a
/// request for a known path with another method gets `405 Method Not Allowed` with `Allow`
/// (RFC 9110 §15.5.6) instead of a 404. Kept in step with `openapi.yaml` by construction.
struct RouteTable: Sendable {
    struct Route: Sendable {
        var segments: [Substring]
        var method: HTTPRequest.Method
    }

    private(set) var routes: [Route] = []

    mutating func add(path: String, method: HTTPRequest.Method) {
        routes.append(Route(segments: path.split(separator: "/"), method: method))
    }

    /// Methods allowed on `path`; empty when no route has that path.
    func methods(for path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/")
        return routes.filter { route in
            route.segments.count == segments.count
                && zip(route.segments, segments).allSatisfy { template, actual in
                    (template.hasPrefix("{") && template.hasSuffix("}")) || template == actual
                }
        }.map(\.method)
    }
}

/// A `ServerTransport` that only records what the generated code registers: a first pass
/// that fills the route table before the real router (whose middleware needs the table) is built.
final class RecordingTransport: ServerTransport {
    var table = RouteTable()

    func register(
        _ handler: @Sendable @escaping (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?),
        method: HTTPRequest.Method, path: String
    ) throws {
        table.add(path: path, method: method)
    }
}
