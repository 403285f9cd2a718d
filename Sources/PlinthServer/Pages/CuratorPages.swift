import Foundation
import HTTPTypes
import Hummingbird
import PlinthCatalog
import PlinthCore
import PlinthStore

/// The curators' pages: sign-in with an API token, the review queue (approve or revoke with
/// a reason, the same audited decisions as the API's, by `token:<name>`), the audit log
/// (admin), sign-out. Every form carries the session's CSRF token; a stale or missing one is
/// refused with 403 and changes nothing.
struct CuratorPages: Sendable {
    let catalog: Catalog
    let renderer: PageRenderer
    let sessions: PageSessions
    /// Served over TLS: cookies are `Secure` too.
    var secure = false

    /// A refusal on a page: its status and what to tell the person.
    struct Refusal: Error, HTTPResponseError {
        var status: HTTPResponse.Status
        var message: String
        func response(from request: Request, context: some RequestContext) throws -> Response {
            Response(status: status, body: .init(byteBuffer: ByteBuffer(string: message)))
        }
    }

    func register<Context: RequestContext>(on group: RouterGroup<Context>) {
        group.get("/signin") { request, _ in self.signInForm(request) }
        group.post("/signin") { request, context in try await self.signIn(request, context: context) }
        group.post("/signout") { request, context in try await self.signOut(request, context: context) }
        group.get("/review") { request, _ in try await self.review(request) }
        group.post("/review/approve") { request, context in try await self.decide(request, context: context, approve: true) }
        group.post("/review/revoke") { request, context in try await self.decide(request, context: context, approve: false) }
        group.post("/review/entry") { request, context in try await self.recordReview(request, context: context) }
        group.get("/audit") { request, _ in try await self.audit(request) }
    }

    // MARK: Sign-in

    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\") else { return "/review" }
        return next
    }

    func signInForm(_ request: Request, status: HTTPResponse.Status = .ok, problem: String? = nil) -> Response {
        let csrf = PageSessions.random()
        let next = Self.safeNext(request.uri.queryParameters.get("next").map { String($0) })
        var response = renderer.page("signin", PageRenderer.compact(["csrf": csrf, "next": next, "problem": problem]), status: status)
        response.setCookie(Cookie(name: PageSessions.signInCookie, value: csrf, maxAge: 600, path: "/", secure: secure, httpOnly: true, sameSite: .strict))
        return response
    }

    struct SignInForm: Decodable { var token: String; var csrf: String?; var next: String? }

    func form<T: Decodable>(_ type: T.Type, _ request: Request, context: some RequestContext) async throws -> T {
        let body = try await request.body.collect(upTo: 64 << 10)
        do { return try URLEncodedFormDecoder().decode(T.self, from: String(buffer: body)) } catch {
            throw Refusal(status: .badRequest, message: "the form is incomplete")
        }
    }

    func signIn(_ request: Request, context: some RequestContext) async throws -> Response {
        let form = try await form(SignInForm.self, request, context: context)
        guard let expected = request.cookies[PageSessions.signInCookie]?.value, PageSessions.same(expected, form.csrf ?? "") else {
            throw Refusal(status: .forbidden, message: "The form's security token is missing or stale: open the sign-in page again.")
        }
        let principal: Principal
        let token: AccessToken
        do {
            token = try AccessToken(parsing: form.token.trimmingCharacters(in: .whitespacesAndNewlines))
            principal = try await catalog.authenticate(token.description)
        } catch {
            return signInForm(request, status: .unauthorized, problem: "That token is not a valid Plinth token (unknown, expired or revoked).")
        }
        let (cookie, _) = sessions.start(principal, tokenID: token.id, now: catalog.now())
        var response = Response(status: .seeOther, headers: [.location: Self.safeNext(form.next)])
        response.setCookie(
            Cookie(name: PageSessions.cookie, value: cookie, maxAge: Int(PageSessions.lifetime), path: "/", secure: secure, httpOnly: true, sameSite: .strict))
        response.setCookie(Cookie(name: PageSessions.signInCookie, value: "", maxAge: 0, path: "/", secure: secure, httpOnly: true, sameSite: .strict))
        return response
    }

    struct CSRFForm: Decodable { var csrf: String? }

    /// The session of a request, required at `role`; a page that says why otherwise.
    func session(_ request: Request, role: Role) async throws -> PageSessions.Session {
        guard let session = try await sessions.session(request.cookies[PageSessions.cookie]?.value, catalog: catalog) else {
            throw Refusal(status: .unauthorized, message: "Sign in with a \(role.rawValue) token to see this page.")
        }
        guard session.principal.role >= role else {
            throw Refusal(status: .forbidden, message: "This page needs a \(role.rawValue) token; you signed in as a \(session.principal.role.rawValue).")
        }
        return session
    }

    func checkCSRF(_ given: String?, _ session: PageSessions.Session) throws {
        guard let given, PageSessions.same(given, session.csrf) else {
            throw Refusal(status: .forbidden, message: "The form's security token is missing or stale: reload the page and try again. Nothing was changed.")
        }
    }

    func signOut(_ request: Request, context: some RequestContext) async throws -> Response {
        let session = try await session(request, role: .reader)
        try checkCSRF(try await form(CSRFForm.self, request, context: context).csrf, session)
        sessions.end(request.cookies[PageSessions.cookie]?.value)
        var response = Response(status: .seeOther, headers: [.location: "/"])
        response.setCookie(Cookie(name: PageSessions.cookie, value: "", maxAge: 0, path: "/", secure: secure, httpOnly: true, sameSite: .strict))
        return response
    }

    // MARK: Review queue

    struct Change: Sendable { var name: String; var from, to: String? }
    struct QueueItem {
        var image, tag, digest, short, seen: String
        var flags: [String]
        var replaces: String?
        var platformsGained, platformsLost, added, removed, upgraded, downgraded, fixed, introduced: [String]
        var hasDiff: Bool
        var csrf: String
    }

    static let reviewPerPage = 25

    func review(_ request: Request) async throws -> Response {
        let session: PageSessions.Session
        do { session = try await self.session(request, role: .curator) } catch let refusal as Refusal where refusal.status == .unauthorized {
            return Response(status: .seeOther, headers: [.location: "/signin?next=/review"])
        }
        let page = request.uri.queryParameters.get("page").flatMap { Int($0) } ?? 1
        guard page >= 1 else { throw Refusal(status: .badRequest, message: "page must be 1 or more") }
        let queue = try await catalog.reviewQueue()
        let start = (page - 1).multipliedReportingOverflow(by: Self.reviewPerPage)
        let shown = start.overflow ? [] : Array(queue.dropFirst(start.partialValue).prefix(Self.reviewPerPage))
        var items: [QueueItem] = []
        for pending in shown {
            let digest = pending.observation.digest
            var queued = QueueItem(
                image: pending.image, tag: pending.tag, digest: digest.description, short: PageController.short(digest),
                seen: RFC3339.format(pending.observation.firstSeen), flags: pending.observation.flags, replaces: pending.replaces?.description,
                platformsGained: [], platformsLost: [], added: [], removed: [], upgraded: [], downgraded: [], fixed: [], introduced: [],
                hasDiff: false, csrf: session.csrf)
            if let current = pending.replaces, current != digest {
                let diff = try await catalog.diff(from: current, to: digest)
                let show = { (changes: [DigestDiff.PackageChange]) in changes.map { "\($0.name) \($0.from ?? "")\($0.from != nil && $0.to != nil ? " → " : "")\($0.to ?? "")" } }
                queued.platformsGained = diff.platformsGained.map(\.description)
                queued.platformsLost = diff.platformsLost.map(\.description)
                queued.added = show(diff.added)
                queued.removed = show(diff.removed)
                queued.upgraded = show(diff.upgraded)
                queued.downgraded = show(diff.downgraded)
                queued.fixed = diff.advisoriesFixed
                queued.introduced = diff.advisoriesIntroduced
                queued.hasDiff = true
            }
            items.append(queued)
        }
        let more = !start.overflow && queue.count > start.partialValue + shown.count
        let due = try await catalog.reviews(overdueOnly: true).map { status in
            DueView(
                image: status.image, every: "every \(status.everyDays) days", dueAt: PageController.day(status.dueAt),
                last: status.last.map { "last reviewed \(PageController.day($0.at)) by \($0.by): \($0.note)" } ?? "never reviewed", csrf: session.csrf)
        }
        let view: [String: Any?] = [
            "due": due, "hasDue": !due.isEmpty,
            "items": items, "hasItems": !items.isEmpty, "who": session.principal.actor, "csrf": session.csrf,
            "count": "\(queue.count) \(queue.count == 1 ? "digest" : "digests") waiting",
            "next": more ? page + 1 : nil,
        ]
        return renderer.page("review", PageRenderer.compact(view))
    }

    struct DueView { var image, every, dueAt, last, csrf: String }
    struct ReviewForm: Decodable { var image: String; var note: String; var csrf: String? }

    func recordReview(_ request: Request, context: some RequestContext) async throws -> Response {
        let session = try await session(request, role: .curator)
        let form = try await form(ReviewForm.self, request, context: context)
        try checkCSRF(form.csrf, session)
        guard CatalogEntry.isValidName(form.image) else { throw Refusal(status: .badRequest, message: "'\(form.image.prefix(80))' is not an entry name. Nothing was changed.") }
        guard !form.note.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw Refusal(status: .badRequest, message: "A review needs a note. Nothing was changed.")
        }
        try await catalog.recordReview(of: form.image, note: form.note, actor: session.principal.actor)
        return Response(status: .seeOther, headers: [.location: "/review"])
    }

    struct DecisionForm: Decodable { var digest: String; var image: String?; var reason: String; var csrf: String? }

    func decide(_ request: Request, context: some RequestContext, approve: Bool) async throws -> Response {
        let session = try await session(request, role: .curator)
        let form = try await form(DecisionForm.self, request, context: context)
        try checkCSRF(form.csrf, session)
        let reason = form.reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else { throw Refusal(status: .badRequest, message: "A decision needs a reason. Nothing was changed.") }
        let digest: Digest
        do { digest = try Digest(parsing: form.digest) } catch { throw Refusal(status: .badRequest, message: "\(error)") }
        if approve {
            try await catalog.approve(digest, image: form.image.flatMap { $0.isEmpty ? nil : $0 }, actor: session.principal.actor, reason: reason)
        } else {
            try await catalog.revoke(digest, actor: session.principal.actor, reason: reason)
        }
        return Response(status: .seeOther, headers: [.location: "/digests/\(digest)"])
    }

    // MARK: Audit

    struct EventView { var id, at, actor, action, subject: String; var image, reason: String? }

    func audit(_ request: Request) async throws -> Response {
        let session: PageSessions.Session
        do { session = try await self.session(request, role: .admin) } catch let refusal as Refusal where refusal.status == .unauthorized {
            return Response(status: .seeOther, headers: [.location: "/signin?next=/audit"])
        }
        let query = request.uri.queryParameters
        func value(_ name: String) -> String? { query.get(name).flatMap { $0.isEmpty ? nil : String($0.prefix(200)) } }
        let before = value("before").flatMap { Int64($0) }
        let page = try await catalog.audit(AuditFilter(actor: value("actor"), subject: value("subject"), action: value("action"), before: before))
        let verification: String
        switch try await catalog.auditVerification() {
        case .valid(let events, let head): verification = "The chain verifies: \(events) events, head \(head)."
        case .broken(let id, let reason): verification = "The chain does NOT verify at event \(id): \(reason)"
        }
        let events = page.items.map {
            EventView(id: $0.id.map(String.init) ?? "", at: RFC3339.format($0.at), actor: $0.actor, action: $0.action, subject: $0.subject, image: $0.image, reason: $0.reason)
        }
        var nextQuery = "?"
        for name in ["actor", "action", "subject"] { if let v = value(name) { nextQuery += "\(name)=\(v.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")&" } }
        let view: [String: Any?] = [
            "events": events, "verification": verification, "verifies": !verification.contains("NOT"), "actor": value("actor") ?? "",
            "action": value("action") ?? "", "subject": value("subject") ?? "", "csrf": session.csrf,
            "next": page.nextCursor.map { "\(nextQuery)before=\($0)" },
        ]
        return renderer.page("audit", PageRenderer.compact(view))
    }
}
