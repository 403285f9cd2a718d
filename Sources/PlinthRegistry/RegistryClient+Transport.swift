import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PlinthCore

extension RegistryClient {
    struct Exchange: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: ByteBuffer
    }

    /// The base URL of a registry: plain HTTP only for loopback and configured insecure registries.
    func baseURL(_ registry: String) -> String {
        let host = registry == "docker.io" ? "registry-1.docker.io" : registry
        return (Self.isLoopback(registry) || configuration.insecureRegistries.contains(registry) ? "http://" : "https://") + host
    }

    static func isLoopback(_ registry: String) -> Bool {
        let host: Substring =
            if registry.hasPrefix("[") { registry.dropFirst().prefix { $0 != "]" } } else { registry.prefix { $0 != ":" } }
        return host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    func limit(for registry: String) -> ConcurrencyLimit {
        limits.withLock { limits in
            if let limit = limits[registry] { return limit }
            let limit = ConcurrencyLimit(limit: configuration.maxConcurrentRequestsPerRegistry)
            limits[registry] = limit
            return limit
        }
    }

    /// One registry request with authentication, retries and redirects. Returns only a 2xx
    /// answer; anything else is a `RegistryError`.
    func send(
        _ method: HTTPMethod, registry: String, path: String, accept: [String], scope repository: String, maxBody: Int, logger: Logger
    ) async throws -> Exchange {
        let scope = "repository:\(repository):pull"
        if method == .GET, path.contains("/manifests/"), let limit = pullLimits.withLock({ $0[registry] }), limit.exhausted(at: .now) {
            throw RegistryError(
                .rateLimited, registry: registry,
                message: "the registry's pull limit is used up (ratelimit-remaining 0 for a \(limit.window.components.seconds)-second window); not pulling until it resets")
        }
        var authorization = try await cachedAuthorization(registry: registry, scope: scope)
        var authenticated = false
        var attempt = 0
        while true {
            attempt += 1
            let exchange: Exchange
            do {
                let current = authorization
                exchange = try await limit(for: registry).run {
                    try await self.perform(method, url: self.baseURL(registry) + path, registry: registry, accept: accept, authorization: current, maxBody: maxBody)
                }
            } catch let error as RegistryError where error.isTransient && attempt < configuration.maxAttempts {
                let delay = backoff(attempt: attempt)
                logger.debug("retrying after transient failure", metadata: ["registry": "\(registry)", "error": "\(error)", "delay": "\(delay)"])
                try await Task.sleep(for: delay)
                continue
            }
            if let header = exchange.headers.first(name: "ratelimit-remaining"), let limit = PullLimit(header: header, at: .now) {
                pullLimits.withLock { $0[registry] = limit }
                if limit.remaining <= 0 {
                    logger.warning("pull limit used up", metadata: ["registry": "\(registry)", "window": "\(limit.window)"])
                }
            }
            switch exchange.status {
            case 200..<300:
                return exchange
            case 401 where !authenticated:
                authenticated = true
                attempt -= 1
                authorization = try await authenticate(registry: registry, scope: scope, challenge: exchange.headers.first(name: "WWW-Authenticate"), logger: logger)
                continue
            case 401, 403:
                throw RegistryError(
                    .unauthorized, registry: registry, status: exchange.status, codes: Self.errorCodes(exchange.body),
                    message: authorization == nil ? "the registry requires credentials and none are configured for it" : "access denied to \(repository)")
            case 404:
                throw RegistryError(.notFound, registry: registry, status: 404, codes: Self.errorCodes(exchange.body), message: "\(path) not found")
            case 429:
                let wait = Self.retryAfter(exchange.headers.first(name: "Retry-After")) ?? backoff(attempt: attempt)
                guard attempt < configuration.maxAttempts, wait <= configuration.maxRetryAfter else {
                    throw RegistryError(
                        .rateLimited, registry: registry, status: 429, codes: Self.errorCodes(exchange.body),
                        message: "rate limited; the registry asks to wait \(wait)")
                }
                logger.info("rate limited, waiting as asked", metadata: ["registry": "\(registry)", "wait": "\(wait)"])
                try await Task.sleep(for: wait)
            case let code where [408, 500, 502, 503, 504].contains(code) && attempt < configuration.maxAttempts:
                // (A `where` on a list of patterns guards only the last one: spelled out here.)
                try await Task.sleep(for: backoff(attempt: attempt))
            default:
                throw RegistryError(
                    .status, registry: registry, status: exchange.status, codes: Self.errorCodes(exchange.body),
                    message: "\(method.rawValue) \(path) failed")
            }
        }
    }

    /// Capped exponential backoff with full jitter.
    func backoff(attempt: Int) -> Duration {
        let cap = min(configuration.maxBackoff, configuration.initialBackoff * (1 << min(attempt - 1, 20)))
        let millis = Int64(cap.components.seconds * 1000 + cap.components.attoseconds / 1_000_000_000_000_000)
        return .milliseconds(Int64.random(in: 0...max(1, millis)))
    }

    /// `Retry-After` as seconds or an HTTP date (RFC 9110 §10.2.3).
    static func retryAfter(_ value: String?) -> Duration? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Int(value), seconds >= 0 { return .seconds(seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return .seconds(max(0, Int(date.timeIntervalSinceNow.rounded(.up))))
    }

    /// Distribution-spec error codes in an error body: `{"errors":[{"code":"…"}]}`.
    static func errorCodes(_ body: ByteBuffer) -> [String] {
        struct Errors: Decodable {
            struct Item: Decodable { var code: String }
            var errors: [Item]
        }
        return (try? JSONDecoder().decode(Errors.self, from: Data(body.readableBytesView)))?.errors.map(\.code) ?? []
    }

    /// The response to a request (its body not yet read), following redirects by hand.
    ///
    /// Credentials follow the origin, as AsyncHTTPClient's own redirect handling decides it
    /// (`RedirectState`: scheme, host and port): once a redirect leaves the origin the request
    /// was meant for, `Authorization` is dropped for the rest of the chain, so a blob
    /// redirect to storage elsewhere, or to another port, gets none. A redirect from https to
    /// http is refused, credentials or not. The library's redirect following cannot refuse
    /// that downgrade, hence this loop.
    func response(
        _ method: HTTPMethod, url: String, registry: String, accept: [String], authorization: String?, deadline: NIODeadline
    ) async throws -> HTTPClientResponse {
        var url = url
        guard let start = Origin(url) else {
            throw RegistryError(.badRedirect, registry: registry, message: "invalid URL \(url)")
        }
        var credentials = authorization
        for _ in 0...configuration.maxRedirects {
            var request = HTTPClientRequest(url: url)
            request.method = method
            if !accept.isEmpty { request.headers.add(name: "Accept", value: accept.joined(separator: ", ")) }
            request.headers.add(name: "User-Agent", value: "plinth/0.1")
            if let credentials { request.headers.add(name: "Authorization", value: credentials) }
            let response: HTTPClientResponse
            do {
                response = try await http.execute(request, deadline: deadline, logger: nil)
            } catch {
                throw Self.transportError(error, registry: registry)
            }
            let status = Int(response.status.code)
            if (300..<400).contains(status), let location = response.headers.first(name: "Location") {
                guard let next = URL(string: location, relativeTo: URL(string: url))?.absoluteString, let origin = Origin(next) else {
                    throw RegistryError(.badRedirect, registry: registry, status: status, message: "redirect to an invalid location '\(location.prefix(100))'")
                }
                if let current = Origin(url), current.scheme == "https", origin.scheme == "http" {
                    throw RegistryError(
                        .badRedirect, registry: registry, status: status,
                        message: "refused a redirect from https to http (\(origin.host):\(origin.port)): it would send the request in clear text")
                }
                if origin != start { credentials = nil }
                url = next
                continue
            }
            return response
        }
        throw RegistryError(.badRedirect, registry: registry, message: "more than \(configuration.maxRedirects) redirects")
    }

    /// RFC 6454's origin of an http(s) URL: scheme, host (lower-cased) and port (the scheme's
    /// default when none is written, so `https://r` and `https://r:443` are one origin).
    struct Origin: Hashable {
        var scheme: String
        var host: String
        var port: Int

        init?(_ text: String) {
            guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty
            else { return nil }
            self.scheme = scheme
            self.host = host.lowercased()
            self.port = url.port ?? (scheme == "https" ? 443 : 80)
        }
    }

    /// One HTTP exchange (redirects followed), its body read up to `maxBody`.
    func perform(
        _ method: HTTPMethod, url: String, registry: String, accept: [String], authorization: String?, maxBody: Int
    ) async throws -> Exchange {
        do {
            let response = try await self.response(
                method, url: url, registry: registry, accept: accept, authorization: authorization,
                deadline: .now() + .nanoseconds(Int64(configuration.requestTimeout.components.seconds) * 1_000_000_000))
            let status = Int(response.status.code)
            let limit = (200..<300).contains(status) ? maxBody : 64 << 10
            if method == .HEAD { return Exchange(status: status, headers: response.headers, body: ByteBuffer()) }
            if let length = response.headers.first(name: "Content-Length").flatMap(Int.init), length > limit {
                throw RegistryError(.tooLarge, registry: registry, status: status, message: "body of \(length) bytes is over the \(limit)-byte limit")
            }
            do {
                let body = try await response.body.collect(upTo: limit)
                if let length = response.headers.first(name: "Content-Length").flatMap(Int.init), body.readableBytes < length {
                    throw RegistryError(.truncated, registry: registry, status: status, message: "body ended after \(body.readableBytes) of \(length) bytes")
                }
                return Exchange(status: status, headers: response.headers, body: body)
            } catch let error as RegistryError {
                throw error
            } catch is NIOTooManyBytesError {
                throw RegistryError(.tooLarge, registry: registry, status: status, message: "body is over the \(limit)-byte limit")
            } catch {
                throw Self.transportError(error, registry: registry, whileReading: true)
            }
        }
    }

    static func transportError(_ error: any Error, registry: String, whileReading: Bool = false) -> RegistryError {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout:
                return RegistryError(.timeout, registry: registry, message: "no answer in time")
            case .remoteConnectionClosed where whileReading:
                return RegistryError(.truncated, registry: registry, message: "the connection closed before the body ended")
            default:
                return RegistryError(whileReading ? .truncated : .unreachable, registry: registry, message: "\(error)")
            }
        }
        return RegistryError(whileReading ? .truncated : .unreachable, registry: registry, message: "cannot reach the registry: \(error)")
    }
}
