import Foundation
import HTTPTypes
import Hummingbird
import Logging
import OpenAPIRuntime
import PlinthCatalog

/// Where the pages' errors become HTTP: an HTML error page whose status comes from the
/// error's type (`HTTPResponseConvertible`, which the catalog's errors conform to, or
/// Hummingbird's `HTTPResponseError`); anything else is a 500 with no internals, logged
/// with the request id. The JSON API under `/v1` has its own (`ProblemMiddleware`).
struct PageErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let renderer: PageRenderer

    struct ErrorView {
        var status: Int
        var title: String
        var detail: String
        /// A 401: the page links to the sign-in page.
        var signIn: Bool
    }

    /// Requests the pages answer: everything but the API and the operations endpoints.
    static func isPage(_ path: String) -> Bool {
        !(path.hasPrefix("/v1/") || path == "/v1" || ["/healthz", "/readyz", "/metrics", "/openapi.yaml"].contains(path))
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard Self.isPage(request.uri.path) else { return try await next(request, context) }
        do {
            var response = try await next(request, context)
            response.headers[.requestID] = context.id
            return response
        } catch {
            let (status, detail) = Self.status(of: error)
            if status.code >= 500 {
                context.logger.error("page failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)", "request": "\(context.id)"])
            }
            var response = renderer.page(
                "error", ErrorView(status: status.code, title: status.reasonPhrase, detail: status.code >= 500 ? "The server failed; request \(context.id) in its log says why." : detail,
                    signIn: status == .unauthorized),
                status: status)
            response.headers[.requestID] = context.id
            if let challenge = (error as? HTTPError)?.headers[.wwwAuthenticate] { response.headers[.wwwAuthenticate] = challenge }
            return response
        }
    }

    static func status(of error: any Error) -> (HTTPResponse.Status, String) {
        if let refusal = error as? CuratorPages.Refusal { return (refusal.status, refusal.message) }
        if let error = error as? any HTTPResponseConvertible { return (error.httpStatus, "\(error)") }
        if let error = error as? any HTTPResponseError {
            return (error.status, error.status == .notFound ? "There is no page here." : (error as? HTTPError)?.body ?? error.status.reasonPhrase)
        }
        return (.internalServerError, "")
    }
}

