import Foundation
import Hummingbird
import OpenAPIRuntime
import PlinthCatalog
import PlinthCore
import PlinthStore

/// Curation: every handler needs a curator's token (the audit log an admin's), writes
/// through the catalog's use cases (which audit each change), and leaves refusals to
/// `ProblemMiddleware` to turn into problems.
extension APIHandler {
    func createImage(_ input: Operations.CreateImage.Input) async throws -> Operations.CreateImage.Output {
        let principal = try RequestAuth.require(.curator)
        guard case .json(let entry) = input.body else { throw HTTPError(.unsupportedMediaType) }
        let stored = try await catalog.createImage(document: try Self.encoder.encode(entry), actor: principal.actor, reason: input.query.reason)
        return .created(.init(body: .json(try await imageWithETag(stored.entry.name))))
    }

    func updateImage(_ input: Operations.UpdateImage.Input) async throws -> Operations.UpdateImage.Output {
        let principal = try RequestAuth.require(.curator)
        let name = try Self.validName(input.path.name)
        let patch: Components.Schemas.ImagePatch
        switch input.body {
        case .applicationMergePatchJson(let body), .json(let body): patch = body
        }
        let revision = try input.headers.ifMatch.map(Self.revision)
        let stored = try await catalog.updateImage(
            named: name, mergePatch: try Self.encoder.encode(patch.additionalProperties), revision: revision, actor: principal.actor,
            reason: input.query.reason)
        return .ok(.init(body: .json(try await imageWithETag(stored.entry.name))))
    }

    func approveDigest(_ input: Operations.ApproveDigest.Input) async throws -> Operations.ApproveDigest.Output {
        let principal = try RequestAuth.require(.curator)
        let digest = try Self.digest(input.path.digest)
        guard case .json(let body) = input.body else { throw HTTPError(.unsupportedMediaType) }
        if let image = body.image { _ = try Self.validName(image) }
        try await catalog.approve(digest, image: body.image, actor: principal.actor, reason: body.reason)
        return .ok(.init(body: .json(Representation.digest(try await catalog.lookup(digest)))))
    }

    func revokeDigest(_ input: Operations.RevokeDigest.Input) async throws -> Operations.RevokeDigest.Output {
        let principal = try RequestAuth.require(.curator)
        let digest = try Self.digest(input.path.digest)
        guard case .json(let body) = input.body else { throw HTTPError(.unsupportedMediaType) }
        try await catalog.revoke(digest, actor: principal.actor, reason: body.reason)
        var answer = Representation.digest(try await catalog.lookup(digest))
        // Who is built on it: the images to rebuild.
        answer.dependents = try await catalog.dependents(of: digest).map(Representation.builtImage)
        return .ok(.init(body: .json(answer)))
    }

    func liftRevocation(_ input: Operations.LiftRevocation.Input) async throws -> Operations.LiftRevocation.Output {
        let principal = try RequestAuth.require(.curator)
        let digest = try Self.digest(input.path.digest)
        try await catalog.liftRevocation(of: digest, actor: principal.actor, reason: input.query.reason)
        return .ok(.init(body: .json(Representation.digest(try await catalog.lookup(digest)))))
    }

    func holdTag(_ input: Operations.HoldTag.Input) async throws -> Operations.HoldTag.Output {
        let principal = try RequestAuth.require(.curator)
        let name = try Self.validName(input.path.name)
        guard case .json(let body) = input.body else { throw HTTPError(.unsupportedMediaType) }
        let digest = try Self.digest(body.digest)
        try await catalog.hold(image: name, tag: input.path.tag, at: digest, actor: principal.actor, reason: body.reason)
        guard let hold = try await catalog.store.holds(of: name)[input.path.tag] else { throw CurationError.notFound("the hold") }
        return .ok(.init(body: .json(Representation.hold(hold, tag: input.path.tag))))
    }

    func releaseTag(_ input: Operations.ReleaseTag.Input) async throws -> Operations.ReleaseTag.Output {
        let principal = try RequestAuth.require(.curator)
        let name = try Self.validName(input.path.name)
        try await catalog.release(image: name, tag: input.path.tag, actor: principal.actor, reason: input.query.reason)
        return .noContent(.init())
    }

    func recordReview(_ input: Operations.RecordReview.Input) async throws -> Operations.RecordReview.Output {
        let principal = try RequestAuth.require(.curator)
        let name = try Self.validName(input.path.name)
        guard case .json(let body) = input.body else { throw HTTPError(.unsupportedMediaType) }
        let status = try await catalog.recordReview(of: name, note: body.note, actor: principal.actor)
        guard let recorded = try await catalog.store.auditEvents(AuditFilter(action: Catalog.reviewAction, image: name), limit: 1).first else {
            throw CurationError.notFound("the review")
        }
        return .created(
            .init(
                body: .json(
                    .init(image: name, reviewedAt: recorded.at, by: recorded.actor, note: recorded.reason ?? "", status: status.map(Representation.review)))))
    }

    func listDueReviews(_ input: Operations.ListDueReviews.Input) async throws -> Operations.ListDueReviews.Output {
        .ok(.init(body: .json(.init(reviews: try await catalog.reviews(overdueOnly: true).map(Representation.review)))))
    }

    func runSync(_ input: Operations.RunSync.Input) async throws -> Operations.RunSync.Output {
        _ = try RequestAuth.require(.curator)
        if let image = input.query.image { _ = try Self.validName(image) }
        guard let sync else { throw CurationError.conflict("this server has no registry client; sync is off") }
        let outcomes = try await sync.run(image: input.query.image, logger: logger)
        return .ok(.init(body: .json(Representation.syncReport(outcomes))))
    }

    func listAuditEvents(_ input: Operations.ListAuditEvents.Input) async throws -> Operations.ListAuditEvents.Output {
        _ = try RequestAuth.require(.admin)
        let query = input.query
        if let image = query.image { _ = try Self.validName(image) }
        for (name, value, limit) in [("actor", query.actor, 200), ("subject", query.subject, 300), ("action", query.action, 100)] {
            if let value, value.count > limit { throw CurationError.invalid(field: name, message: "must be at most \(limit) characters") }
        }
        let limit = query.limit ?? Catalog.auditPageSize
        guard (1...Catalog.maxAuditPageSize).contains(limit) else {
            throw CurationError.invalid(field: "limit", message: "must be from 1 to \(Catalog.maxAuditPageSize)")
        }
        var before: Int64?
        if let cursor = query.cursor {
            guard let id = Int64(cursor), id > 0 else { throw CurationError.invalid(field: "cursor", message: "must be a next_cursor as given") }
            before = id
        }
        let filter = AuditFilter(
            actor: query.actor, subject: query.subject, action: query.action, image: query.image, since: query.since, until: query.until, before: before)
        let page = try await catalog.audit(filter, limit: limit)
        return .ok(.init(body: .json(.init(items: page.items.map(Representation.auditEvent), nextCursor: page.nextCursor))))
    }

    func getImageChangelog(_ input: Operations.GetImageChangelog.Input) async throws -> Operations.GetImageChangelog.Output {
        let name = try Self.validName(input.path.name)
        let items = try await catalog.changelog(named: name)
        return .ok(.init(body: .json(.init(image: name, items: items.map(Representation.changelogItem)))))
    }

    // MARK: Helpers

    /// The entry as the API shows it, its revision as the response's `ETag`.
    func imageWithETag(_ name: String) async throws -> Components.Schemas.Image {
        let view = try await catalog.image(named: name)
        RequestAuth.setETag(revision: view.stored.revision)
        return Representation.image(view)
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func validName(_ name: String) throws -> String {
        guard CatalogEntry.isValidName(name) else { throw CurationError.invalid(field: "name", message: "'\(name)' must match [a-z0-9][a-z0-9-]{1,62}") }
        return name
    }

    static func digest(_ text: String) throws -> Digest {
        do { return try Digest(parsing: text) } catch { throw CurationError.invalid(field: "digest", message: error.description) }
    }

    /// `"3"`, `W/"3"` or `3`.
    static func revision(_ header: String) throws -> Int {
        var text = header.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("W/") { text.removeFirst(2) }
        if text.hasPrefix("\""), text.hasSuffix("\""), text.count >= 2 { text = String(text.dropFirst().dropLast()) }
        guard let revision = Int(text), revision > 0 else {
            throw CurationError.invalid(field: "If-Match", message: "must be an ETag as GET gives it, e.g. \"3\"")
        }
        return revision
    }
}
