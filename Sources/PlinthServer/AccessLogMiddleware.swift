import Hummingbird
import Logging

/// One structured line per request, after the response, at debug level: method, path,
/// status and duration, with the request id the logger already carries. (Hummingbird's
/// LogRequestsMiddleware logs before the response, so it cannot say the status or the
/// time taken.) Checks the level first: at the default level a request costs one comparison.
struct AccessLogMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard context.logger.logLevel <= .debug else { return try await next(request, context) }
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        context.logger.debug(
            "request",
            metadata: [
                "method": "\(request.method.rawValue)", "path": "\(request.uri.path)", "status": "\(response.status.code)",
                "ms": "\(Double(elapsed.components.attoseconds / 1_000_000_000_000) / 1000 + Double(elapsed.components.seconds) * 1000)",
            ])
        return response
    }
}
