import Foundation

/// Where a CLI read verb reads in a test: the database itself (`--db`), or a `plinth serve`
/// on that database (`--server`): the same tests run on both.
public enum ReadTarget: String, CaseIterable, Sendable, CustomStringConvertible {
    case database, server

    public var description: String { rawValue }

    /// The arguments that point a read verb at `db` this way, and the server to stop after.
    public func open(_ db: String) async throws -> ReadEndpoint {
        switch self {
        case .database: return ReadEndpoint(arguments: ["--db", db], server: nil)
        case .server:
            let server = try await ServeProcess(db: db)
            return ReadEndpoint(arguments: ["--server", server.url], server: server)
        }
    }
}

public struct ReadEndpoint: Sendable {
    public var arguments: [String]
    public var server: ServeProcess?

    public func stop() { server?.stop() }
}
