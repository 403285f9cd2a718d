import Foundation
import HTTPTypes
import Hummingbird
import Logging
import OpenAPIRuntime
import PlinthCatalog

/// The one place the API's errors become HTTP responses, by their type (never their text):
/// every error leaves as RFC 9457
/// `application/problem+json`; a malformed body names what was wrong (with a JSON pointer
/// where the decoder knows one); anything unexpected is a 500 with no internals in the body,
/// logged with the request id. Every response carries `X-Request-Id`.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // The pages' errors are PageErrorMiddleware's.
        guard !PageErrorMiddleware<Context>.isPage(request.uri.path) else { return try await next(request, context) }
        do {
            var response = try await next(request, context)
            response.headers[.requestID] = context.id
            return response
        } catch let error as HTTPError where error.status == .notFound {
            // The router says 404 for a known path with an unknown method too.
            let allowed = routes.methods(for: request.uri.path)
            guard !allowed.isEmpty else {
                return Self.problem(for: error, context: context, request: request).response(headers: [.requestID: context.id])
            }
            let allow = allowed.map(\.rawValue).joined(separator: ", ")
            return Problem.make(405, "Method Not Allowed", detail: "\(request.method) is not allowed on \(request.uri.path); use \(allow)")
                .response(headers: [.requestID: context.id, .allow: allow])
        } catch {
            let problem = Self.problem(for: error, context: context, request: request)
            var headers: HTTPFields = [.requestID: context.id]
            // RFC 9110 §15.5.2: a 401 says how to authenticate.
            if problem.status == 401 { headers[.wwwAuthenticate] = #"Bearer realm="plinth""# }
            return problem.response(headers: headers)
        }
    }

    static func problem(for error: any Error, context: Context, request: Request) -> Problem {
        if let error = error as? ServerError {
            return problem(for: error.underlyingError, context: context, request: request)
        }
        if let problem = domainProblem(error) { return problem }
        if let error = error as? DecodingError {
            var problem = Problem.make(400, "Malformed request body", detail: describe(error))
            problem.errors = [.init(pointer: pointer(error), detail: describe(error))]
            return problem
        }
        if let error = error as? any HTTPResponseError {
            let status = error.status
            if status.code >= 500 {
                context.logger.error("request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            }
            let detail: String? =
                switch status {
                case .notFound: "no route for \(request.method) \(request.uri.path)"
                case .contentTooLarge: "the request body is larger than \(BodyLimitMiddleware<Context>.limit) bytes"
                case .methodNotAllowed: "\(request.method) is not allowed on \(request.uri.path)"
                default: (error as? HTTPError)?.body
                }
            return Problem.make(status.code, status.reasonPhrase, detail: detail)
        }
        // The generated code's own refusals (a wrong content type, a missing body, an
        // unparsable parameter) carry their status by type (swift-openapi-runtime).
        if let error = error as? any HTTPResponseConvertible, error.httpStatus.code < 500 {
            return Problem.make(error.httpStatus.code, error.httpStatus.reasonPhrase, detail: firstLine(String(describing: error)))
        }
        let text = String(describing: error)
        context.logger.error("unhandled error", metadata: ["error": "\(text)", "path": "\(request.uri.path)"])
        return Problem.make(500, "Internal Server Error", detail: "the server failed; the request id in X-Request-Id finds it in the log")
    }

    /// The catalog's refusals, as the statuses the OpenAPI document gives them.
    static func domainProblem(_ error: any Error) -> Problem? {
        switch error {
        case let error as AuthorizationError:
            switch error {
            case .unauthenticated: return Problem.make(401, "Unauthorized", detail: error.description)
            case .forbidden: return Problem.make(403, "Forbidden", detail: error.description)
            }
        case let error as AuthenticationError:
            return Problem.make(401, "Unauthorized", detail: error.description)
        case let error as CurationError:
            switch error {
            case .invalidEntry(let problems):
                var problem = Problem.make(400, "Invalid image entry", detail: error.description)
                problem.errors = problems.map { .init(pointer: $0.field.map(pointer(field:)), detail: $0.message) }
                return problem
            case .invalid(let field, let message):
                var problem = Problem.make(400, "Invalid request", detail: error.description)
                problem.errors = [.init(pointer: field.map(pointer(field:)), detail: message)]
                return problem
            case .notFound: return Problem.make(404, "Not Found", detail: error.description)
            case .conflict: return Problem.make(409, "Conflict", detail: error.description)
            case .stale: return Problem.make(412, "Precondition Failed", detail: error.description)
            }
        case let error as CatalogError:
            switch error {
            case .imageNotFound: return Problem.make(404, "Image not found", detail: error.description)
            case .invalidCursor, .invalidMatrixCursor: return Problem.make(400, "Invalid cursor", detail: error.description)
            case .digestNotFound: return Problem.make(404, "Unknown digest", detail: error.description)
            case .platformNotFound: return Problem.make(404, "Platform not found", detail: error.description)
            case .noPackages: return Problem.make(404, "No packages read", detail: error.description)
            case .noExceptions: return Problem.make(404, "No exceptions", detail: error.description)
            }
        case let error as SyncRunner.Busy:
            return Problem.make(409, "Conflict", detail: error.description)
        default:
            return nil
        }
    }

    /// `workloads[2].support` as a JSON pointer: `/workloads/2/support`.
    static func pointer(field: String) -> String {
        "/" + field.replacingOccurrences(of: "[", with: ".").replacingOccurrences(of: "]", with: "").split(separator: ".").joined(separator: "/")
    }

    static func firstLine(_ text: String) -> String {
        String(text.prefix { $0 != "\n" }.prefix(300))
    }

    static func pointer(_ error: DecodingError) -> String {
        let path: [any CodingKey] =
            switch error {
            case .keyNotFound(let key, let c): c.codingPath + [key]
            case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c): c.codingPath
            @unknown default: []
            }
        return "/" + path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: "/")
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, _): "required field '\(key.stringValue)' is missing"
        case .typeMismatch(let type, _): "expected \(type == String.self ? "a string" : "\(type)") here"
        case .valueNotFound(let type, _): "expected \(type), found null"
        case .dataCorrupted(let c): c.underlyingError.map { "not valid JSON: \(firstLine(String(describing: $0)))" } ?? c.debugDescription
        @unknown default: "malformed body"
        }
    }
}

extension HTTPField.Name {
    static let requestID = HTTPField.Name("X-Request-Id")!
}
