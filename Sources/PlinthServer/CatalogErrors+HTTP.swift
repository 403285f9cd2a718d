public import HTTPTypes
public import OpenAPIRuntime
public import PlinthCatalog

/// The catalog's refusals carry their HTTP status by type, for every route group.
extension CatalogError: HTTPResponseConvertible {
    public var httpStatus: HTTPResponse.Status {
        switch self {
        case .imageNotFound, .digestNotFound, .platformNotFound, .noPackages, .noExceptions: .notFound
        case .invalidCursor, .invalidMatrixCursor: .badRequest
        }
    }
}

extension CurationError: HTTPResponseConvertible {
    public var httpStatus: HTTPResponse.Status {
        switch self {
        case .invalidEntry, .invalid: .badRequest
        case .notFound: .notFound
        case .conflict: .conflict
        case .stale: .preconditionFailed
        }
    }
}
