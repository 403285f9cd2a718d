import AsyncHTTPClient
import Foundation
import Logging
import NIOCore

extension RegistryClient {
    static func tokenKey(registry: String, scope: String) -> String { "\(registry) \(scope)" }

    /// A cached bearer token for the scope, or basic credentials when the registry took them before.
    func cachedAuthorization(registry: String, scope: String) async throws -> String? {
        let now = ContinuousClock.now
        return tokens.withLock { tokens in
            for key in [Self.tokenKey(registry: registry, scope: scope), Self.tokenKey(registry: registry, scope: "basic")] {
                if let token = tokens[key], token.expires > now { return token.authorization }
            }
            return nil
        }
    }

    /// Answers a 401's challenge: a bearer token from the realm (with basic credentials when
    /// there are some), cached per scope until it expires; or basic credentials.
    func authenticate(registry: String, scope: String, challenge header: String?, logger: Logger) async throws -> String {
        guard let header else {
            throw RegistryError(.invalidAuthentication, registry: registry, status: 401, message: "401 without a WWW-Authenticate challenge")
        }
        let challenge: AuthChallenge
        do { challenge = try AuthChallenge(parsing: header) } catch {
            throw RegistryError(.invalidAuthentication, registry: registry, status: 401, message: error.description)
        }
        let credentials: RegistryCredentials?
        do { credentials = try await self.credentials.credentials(for: registry) } catch {
            throw RegistryError(.unauthorized, registry: registry, message: "cannot get credentials: \(error)")
        }
        switch challenge.scheme {
        case "basic":
            guard let credentials else {
                throw RegistryError(.unauthorized, registry: registry, status: 401, message: "the registry requires credentials and none are configured for it")
            }
            let authorization = credentials.basicAuthorization
            tokens.withLock { $0[Self.tokenKey(registry: registry, scope: "basic")] = CachedToken(authorization: authorization, expires: .now + .seconds(3600)) }
            return authorization
        case "bearer":
            return try await fetchToken(registry: registry, scope: challenge.parameters["scope"] ?? scope, challenge: challenge, credentials: credentials, logger: logger)
        default:
            throw RegistryError(.invalidAuthentication, registry: registry, status: 401, message: "unsupported authentication scheme '\(challenge.scheme)'")
        }
    }

    struct TokenAnswer: Decodable {
        var token: String?
        var access_token: String?
        var expires_in: Int?
    }

    func fetchToken(
        registry: String, scope: String, challenge: AuthChallenge, credentials: RegistryCredentials?, logger: Logger
    ) async throws -> String {
        guard let realm = challenge.parameters["realm"], var components = URLComponents(string: realm),
            components.scheme == "https" || components.scheme == "http"
        else {
            throw RegistryError(.invalidAuthentication, registry: registry, status: 401, message: "bearer challenge without a valid realm")
        }
        // A token realm over plain HTTP only where the registry itself may be.
        if components.scheme == "http", let host = components.host, !Self.isLoopback(host), !configuration.insecureRegistries.contains(registry) {
            throw RegistryError(.invalidAuthentication, registry: registry, message: "token realm \(realm) is not HTTPS")
        }
        var query = components.queryItems ?? []
        if let service = challenge.parameters["service"] { query.append(URLQueryItem(name: "service", value: service)) }
        query.append(URLQueryItem(name: "scope", value: scope))
        components.queryItems = query
        guard let url = components.url?.absoluteString else {
            throw RegistryError(.invalidAuthentication, registry: registry, message: "cannot build a token URL from realm \(realm)")
        }
        let started = ContinuousClock.now
        // Redirects followed as for the registry: the credentials stay with the realm's origin.
        let response = try await self.response(
            .GET, url: url, registry: registry, accept: [], authorization: credentials?.basicAuthorization,
            deadline: .now() + .seconds(Int64(configuration.requestTimeout.components.seconds)))
        let body: ByteBuffer
        do { body = try await response.body.collect(upTo: 64 << 10) } catch {
            throw RegistryError(.invalidAuthentication, registry: registry, message: "token answer too large or broken: \(error)")
        }
        guard response.status.code == 200 else {
            throw RegistryError(
                .unauthorized, registry: registry, status: Int(response.status.code),
                message: credentials == nil ? "the token service refused an anonymous token for \(scope)" : "the token service refused the credentials for \(scope)")
        }
        guard let answer = try? JSONDecoder().decode(TokenAnswer.self, from: Data(body.readableBytesView)),
            let token = answer.token ?? answer.access_token, !token.isEmpty
        else {
            throw RegistryError(.invalidAuthentication, registry: registry, message: "the token service's answer has no token")
        }
        // Tokens last 60 s when the answer does not say (distribution token spec); keep a margin.
        let lifetime = max(10, (answer.expires_in ?? 60) - 10)
        let authorization = "Bearer " + token
        tokens.withLock { $0[Self.tokenKey(registry: registry, scope: scope)] = CachedToken(authorization: authorization, expires: started + .seconds(lifetime)) }
        logger.debug("got registry token", metadata: ["registry": "\(registry)", "scope": "\(scope)", "lifetime_s": "\(lifetime)"])
        return authorization
    }
}
