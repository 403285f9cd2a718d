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
struct AuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let catalog: Catalog
    let authReads: Bool
    static var openPaths: Set<String> { ["/healthz", "/readyz", "/metrics", "/openapi.yaml"] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if Self.openPaths.contains(path) { return try await next(request, context) }
        var principal: Principal?
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else {
                return Self.unauthorized("the Authorization header must be 'Bearer <token>'", context: context)
            }
            do {
                principal = try await catalog.authenticate(String(parts[1]).trimmingCharacters(in: .whitespaces))
            } catch let error as AuthenticationError {
                return Self.unauthorized(error.description, context: context)
            }
        } else if authReads {
            return Self.unauthorized("this server needs a bearer token for every request (--auth-reads)", context: context)
        }
        let state = RequestState(principal: principal)
        var response = try await RequestAuth.$state.withValue(state) { try await next(request, context) }
        if let etag = state.etag.withLock({ $0 }) { response.headers[.eTag] = etag }
        return response
    }

    static func unauthorized(_ detail: String, context: Context) -> Response {
        Problem.make(401, "Unauthorized", detail: detail).response(headers: [
            .requestID: context.id, .wwwAuthenticate: #"Bearer realm="plinth", error="invalid_token""#,
        ])
    }
}
