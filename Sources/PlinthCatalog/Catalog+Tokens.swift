import Foundation
import PlinthCore
import PlinthStore

/// Who is calling, once their token checked out.
public struct Principal: Sendable, Hashable {
    public var tokenName: String
    public var role: Role

    public init(tokenName: String, role: Role) {
        self.tokenName = tokenName
        self.role = role
    }

    /// The actor audit events name.
    public var actor: String { "token:\(tokenName)" }
}

/// Why a token was not accepted. The messages never include the token.
public enum AuthenticationError: Error, Equatable, CustomStringConvertible {
    case malformed
    case unknown
    case expired(Date)
    case revoked

    public var description: String {
        switch self {
        case .malformed: "the bearer token is not a Plinth token"
        case .unknown: "the bearer token is not valid"
        case .expired(let at): "the bearer token expired at \(RFC3339.format(at))"
        case .revoked: "the bearer token was revoked"
        }
    }
}

extension Catalog {
    public static let maxTokenNameLength = 100

    /// Creates a token; the returned `AccessToken` is the only time its secret exists outside
    /// the caller. `expires` nil means it never expires.
    public func createToken(name: String, role: Role, expires: Date?, actor: String) async throws -> (AccessToken, TokenRecord) {
        guard (1...Self.maxTokenNameLength).contains(name.count), name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.@".contains($0) }) else {
            throw CurationError.invalid(field: "name", message: "a token name is 1 to 100 letters, digits, '-', '_', '.' or '@'")
        }
        let at = now()
        if let expires, expires <= at { throw CurationError.invalid(field: "expires", message: "the expiry must be in the future") }
        let token = AccessToken.generate()
        let record = TokenRecord(id: token.id, name: name, role: role, secretHash: token.secretHash, createdBy: actor, createdAt: at, expiresAt: expires)
        let event = AuditEvent(
            at: at, actor: actor, action: "token.create", subject: name,
            after: JSONText.object(["role": role.rawValue, "expires_at": expires.map(RFC3339.format)]))
        try await curation { try await store.createToken(record, event: event) }
        return (token, record)
    }

    public func revokeToken(name: String, actor: String, reason: String?) async throws {
        try Self.checkReason(reason, required: false)
        let event = AuditEvent(at: now(), actor: actor, action: "token.revoke", subject: name, reason: reason)
        try await curation { try await store.revokeToken(named: name, event: event) }
    }

    public func tokens() async throws -> [TokenRecord] { try await store.tokens() }

    /// The principal a bearer token stands for. The secret's hash is compared in constant time.
    public func authenticate(_ text: String) async throws -> Principal {
        let token: AccessToken
        do { token = try AccessToken(parsing: text) } catch { throw AuthenticationError.malformed }
        guard let record = try await store.token(id: token.id), token.matches(storedHash: record.secretHash) else {
            throw AuthenticationError.unknown
        }
        if record.revokedAt != nil { throw AuthenticationError.revoked }
        if let expires = record.expiresAt, expires <= now() { throw AuthenticationError.expired(expires) }
        return Principal(tokenName: record.name, role: record.role)
    }
}
