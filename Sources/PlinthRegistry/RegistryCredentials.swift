import Foundation

/// A user name and secret for one registry.
public struct RegistryCredentials: Hashable, Sendable {
    public var username: String
    public var secret: String

    public init(username: String, secret: String) {
        self.username = username
        self.secret = secret
    }

    /// `Basic base64(user:secret)`.
    var basicAuthorization: String {
        "Basic " + Data("\(username):\(secret)".utf8).base64EncodedString()
    }
}

/// Where a client finds credentials for a registry host (`docker.io`, `localhost:5000`).
public protocol CredentialProvider: Sendable {
    func credentials(for registry: String) async throws -> RegistryCredentials?
}

/// Fixed credentials by registry host, for tests and for flags.
public struct StaticCredentials: CredentialProvider {
    public var byRegistry: [String: RegistryCredentials]

    public init(_ byRegistry: [String: RegistryCredentials] = [:]) {
        self.byRegistry = byRegistry
    }

    public func credentials(for registry: String) async throws -> RegistryCredentials? { byRegistry[registry] }
}
