import Crypto
import Foundation
import PlinthCatalog
import PlinthCore
import Synchronization

/// Signed-in people on the pages: a session per sign-in with an API token, kept in this
/// process, named by a random cookie (HttpOnly, SameSite=Strict), ending after `lifetime`
/// or at sign-out. Each session has its CSRF token, which every form posts back. The token
/// the person signed in with is checked again on each request, so revoking it (or its
/// expiry) ends the session at once.
final class PageSessions: Sendable {
    struct Session: Sendable {
        var principal: Principal
        var tokenID: String
        var csrf: String
        var expires: Date
    }

    static let cookie = "plinth_session"
    /// The CSRF token of the sign-in form, before there is a session (double-submit cookie).
    static let signInCookie = "plinth_signin"
    static let lifetime: TimeInterval = 8 * 3600
    static let capacity = 10_000

    /// By the SHA-256 of the cookie's value, so the table does not hold usable cookies.
    private let sessions = Mutex<[String: Session]>([:])

    static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func key(_ value: String) -> String { SHA256.hash(data: Data(value.utf8)).map { String(format: "%02x", $0) }.joined() }

    /// Compares without an early exit.
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// A new session; returns the cookie value.
    func start(_ principal: Principal, tokenID: String, now: Date) -> (cookie: String, session: Session) {
        let value = Self.random()
        let session = Session(principal: principal, tokenID: tokenID, csrf: Self.random(), expires: now.addingTimeInterval(Self.lifetime))
        sessions.withLock { sessions in
            if sessions.count >= Self.capacity { sessions = sessions.filter { $0.value.expires > now } }
            sessions[Self.key(value)] = session
        }
        return (value, session)
    }

    /// The live session a cookie names, if any, with its token still valid.
    func session(_ cookie: String?, catalog: Catalog) async throws -> Session? {
        guard let cookie, !cookie.isEmpty else { return nil }
        let now = catalog.now()
        let key = Self.key(cookie)
        guard let session = sessions.withLock({ $0[key] }) else { return nil }
        let record = try await catalog.store.token(id: session.tokenID)
        guard session.expires > now, let record, record.revokedAt == nil, record.expiresAt.map({ $0 > now }) ?? true else {
            sessions.withLock { _ = $0.removeValue(forKey: key) }
            return nil
        }
        return session
    }

    func end(_ cookie: String?) {
        guard let cookie else { return }
        sessions.withLock { _ = $0.removeValue(forKey: Self.key(cookie)) }
    }
}
