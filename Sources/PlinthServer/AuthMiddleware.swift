import Foundation
import HTTPTypes
import Hummingbird
import PlinthCatalog
import PlinthCore
import Synchronization

/// What the middleware and the handlers of one request share: who made it, and the `ETag`
/// a handler answers with. (The OpenAPI runtime percent-encodes header values, which would
/// turn `"3"` into `%223%22`; the middleware sets the header as it is.)
final class RequestState: Sendable {
    let principal: Principal?
    let etag = Mutex<String?>(nil)

    init(principal: Principal?) { self.principal = principal }
}

enum RequestAuth {
    @TaskLocal static var state: RequestState?
    static var principal: Principal? { state?.principal }

    /// The entry revision to answer with as `ETag`.
    static func setETag(revision: Int) { state?.etag.withLock { $0 = "\"\(revision)\"" } }

    /// The caller, if their role is at least `role`; else an error that says what is missing.
    static func require(_ role: Role) throws(AuthorizationError) -> Principal {
        guard let principal else { throw .unauthenticated }
        guard principal.role >= role else { throw .forbidden(needed: role, has: principal.role) }
        return principal
    }
}

/// A request without the rights it needs.
enum AuthorizationError: Error, Equatable, CustomStringConvertible {
    case unauthenticated
    case forbidden(needed: Role, has: Role)

    var description: String {
        switch self {
        case .unauthenticated: "this needs a bearer token (plinth token create)"
        case .forbidden(let needed, let has): "this needs the role \(needed.rawValue) or higher; the token has \(has.rawValue)"
        }
    }
}

/// Bearer authentication. A request that sends a token must send a valid one (anything else
/// is a 401, whatever the route); a request without one is anonymous, which reads accept
/// unless `authReads` is on. Health, readiness, metrics and the OpenAPI document stay open.
/// Tokens never reach a log.
///
/// The pages answer their refusals as pages (an HTML 401, by `PageErrorMiddleware`), not as
/// problem+json. Under `authReads` a page needs a signed-in session (its cookie) instead of a
/// header: a `GET` without one is sent to the sign-in page and comes back after; the sign-in
/// page and the stylesheet and script stay open.
struct AuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let catalog: Catalog
    let authReads: Bool
    var sessions: PageSessions?
    static var openPaths: Set<String> { ["/healthz", "/readyz", "/metrics", "/openapi.yaml"] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if Self.openPaths.contains(path) { return try await next(request, context) }
        let page = PageErrorMiddleware<Context>.isPage(path)
        var principal: Principal?
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else {
                return try Self.unauthorized("the Authorization header must be 'Bearer <token>'", page: page, context: context)
            }
            do {
                principal = try await catalog.authenticate(String(parts[1]).trimmingCharacters(in: .whitespaces))
            } catch let error as AuthenticationError {
                return try Self.unauthorized(error.description, page: page, context: context)
            }
        } else if authReads, page {
            if path == "/signin" || path.hasPrefix("/static/") {
                // Open: how a reader gets a session.
            } else if let session = try await sessions?.session(request.cookies[PageSessions.cookie]?.value, catalog: catalog) {
                principal = session.principal
            } else if request.method == .get || request.method == .head {
                let back = request.uri.description.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "/-._~"))) ?? "/"
                return Response(status: .seeOther, headers: [.location: "/signin?next=\(back)", .requestID: context.id])
            } else {
                throw HTTPError(.unauthorized, message: "This Plinth shows its pages to signed-in readers only (--auth-reads): sign in with a token first.")
            }
        } else if authReads {
            return Self.unauthorized("this server needs a bearer token for every request (--auth-reads)", context: context)
        }
        let state = RequestState(principal: principal)
        var response = try await RequestAuth.$state.withValue(state) { try await next(request, context) }
        if let etag = state.etag.withLock({ $0 }) { response.headers[.eTag] = etag }
        return response
    }

    /// A 401: problem+json for the API, the HTML error page for a page (thrown to its middleware).
    static func unauthorized(_ detail: String, page: Bool, context: Context) throws -> Response {
        guard page else { return unauthorized(detail, context: context) }
        throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: #"Bearer realm="plinth", error="invalid_token""#], message: "The request's bearer token was refused: \(detail).")
    }

    static func unauthorized(_ detail: String, context: Context) -> Response {
        Problem.make(401, "Unauthorized", detail: detail).response(headers: [
            .requestID: context.id, .wwwAuthenticate: #"Bearer realm="plinth", error="invalid_token""#,
        ])
    }
}
