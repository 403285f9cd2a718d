import Dispatch
import HTTPTypes
import Hummingbird
import Metrics
import Synchronization

/// The HTTP series of `/metrics`: the same names, labels and meaning as Hummingbird's
/// `MetricsMiddleware` (`hb_requests`, `http_server_request_duration`, `hb_request_errors`,
/// `http_server_active_requests`), recorded so that a response whose body is already in
/// memory keeps it.
///
/// Hummingbird's middleware wraps every body in a closure to record after the last byte is
/// written. That turns a one-buffer body, which Hummingbird writes as head, body and end in
/// one batched write, into three writes with a hop to the event loop and a flush each: a
/// third of a cached lookup's time on this machine (BENCHMARKS.md, issue 17). Here a body
/// whose length is known when the handler returns is recorded then (writing a few KiB
/// to the socket is not measured); a body of unknown length, which is streamed, is still
/// recorded after its last byte.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let series = Series()

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = DispatchTime.now().uptimeNanoseconds
        let active = series.active(request.method)
        active.increment()
        do {
            var response = try await next(request, context)
            let status = response.status
            let record: @Sendable () -> Void = { [series] in
                let endpoint = series.endpoint(context.endpointPath ?? "Unknown", request.method, status)
                endpoint.requests.increment()
                endpoint.duration.recordNanoseconds(DispatchTime.now().uptimeNanoseconds - start)
                active.decrement()
            }
            if response.body.contentLength == nil {
                let body = response.body
                response.body = ResponseBody { writer in
                    defer { record() }
                    try await body.write(writer)
                }
            } else {
                record()
            }
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            let endpoint = series.endpoint(context.endpointPath ?? "NotFound", request.method, status)
            endpoint.requests.increment()
            endpoint.errors.increment()
            active.decrement()
            throw error
        }
    }

    /// The metric objects, made once per method and per route, method and status: a
    /// factory lookup per request would cost more than the request.
    final class Series: Sendable {
        struct Endpoint: Sendable {
            let requests: Counter
            let duration: Timer
            let errors: Counter
        }
        struct Key: Hashable {
            let route: String
            let method: HTTPRequest.Method
            let status: Int
        }
        private let methods = Mutex<[HTTPRequest.Method: Meter]>([:])
        private let endpoints = Mutex<[Key: Endpoint]>([:])

        func active(_ method: HTTPRequest.Method) -> Meter {
            methods.withLock { meters in
                if let meter = meters[method] { return meter }
                let meter = Meter(label: "http.server.active_requests", dimensions: [("http.request.method", method.rawValue)])
                meters[method] = meter
                return meter
            }
        }

        func endpoint(_ route: String, _ method: HTTPRequest.Method, _ status: HTTPResponse.Status) -> Endpoint {
            let key = Key(route: route, method: method, status: status.code)
            return endpoints.withLock { endpoints in
                if let endpoint = endpoints[key] { return endpoint }
                let code = String(status.code)
                let endpoint = Endpoint(
                    requests: Counter(
                        label: "hb.requests",
                        dimensions: [("http.route", route), ("http.request.method", method.rawValue), ("http.response.status_code", code)]),
                    duration: Timer(
                        label: "http.server.request.duration",
                        dimensions: [("http.route", route), ("http.request.method", method.rawValue), ("http.response.status_code", code)],
                        preferredDisplayUnit: .seconds),
                    errors: Counter(
                        label: "hb.request.errors",
                        dimensions: [("http.route", route), ("http.request.method", method.rawValue), ("error.type", code)]))
                endpoints[key] = endpoint
                return endpoint
            }
        }
    }
}
