import Hummingbird

/// Bounds every request body: a declared `Content-Length` over the limit is refused before
/// reading, and a streamed body is collected only up to the limit (413 past it).
struct BodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    static var limit: Int { 1 << 20 }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > Self.limit {
            throw HTTPError(.contentTooLarge)
        }
        guard request.method == .post || request.method == .put || request.method == .patch else {
            return try await next(request, context)
        }
        var request = request
        let buffer = try await request.body.collect(upTo: Self.limit)
        request.body = .init(buffer: buffer)
        return try await next(request, context)
    }
}
