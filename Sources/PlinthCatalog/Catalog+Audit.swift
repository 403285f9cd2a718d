import Foundation
import PlinthCore
import PlinthStore

/// One line of an image's story: a digest seen on a tag, or a change someone made.
public struct ChangelogItem: Sendable, Hashable {
    public var at: Date
    /// `digest.seen` for a tag moving to a digest; otherwise the audit action.
    public var action: String
    public var actor: String
    public var tag: String?
    public var digest: Digest?
    public var reason: String?
    /// What sync flagged on a new digest, for reviewers.
    public var flags: [String]
    /// The audit event, for changes.
    public var eventID: Int64?
    /// For a tag moving to a digest: what changed from the digest before (`DigestDiff.summary`).
    public var summary: String?
    /// For a tag moving to a digest: what sync found and verified of its signatures.
    public var signature: SignatureCheck?
}

extension Catalog {
    public static let auditPageSize = 100
    public static let maxAuditPageSize = 1000

    /// Whether the audit chain verifies, kept until the store changes (the audit page asks
    /// on every view); `verifyAudit()` walks it now.
    public func auditVerification() async throws -> AuditChain.Verification {
        try await cache.auditVerification.value(generation: try await currentGeneration(), dependencies: .everything) { try await verifyAudit() }
    }

    /// Walks the whole audit chain, a batch at a time.
    public func verifyAudit() async throws -> AuditChain.Verification {
        var verifier = AuditChain.Verifier()
        var after: Int64 = 0
        while true {
            let batch = try await store.auditEvents(after: after, limit: 1000)
            guard let last = batch.last else { return verifier.result }
            for event in batch {
                if let failure = verifier.check(event) { return failure }
            }
            after = last.id ?? after
        }
    }

    /// Audit events matching `filter`, newest first, a page at a time; the cursor is the id
    /// of the last event of the page before.
    public func audit(_ filter: AuditFilter, limit: Int = auditPageSize) async throws -> Page<AuditEvent> {
        let events = try await store.auditEvents(filter, limit: limit + 1)
        let page = Array(events.prefix(limit))
        return Page(items: page, nextCursor: events.count > limit ? page.last?.id.map(String.init) : nil)
    }

    /// The story of one image, oldest first: every digest its tags moved to (with sync's
    /// flags), and every approval, revocation, hold, release and entry change, with who and why.
    public func changelog(named name: String) async throws -> [ChangelogItem] {
        guard try await store.entry(named: name) != nil else { throw CatalogError.imageNotFound(name) }
        var items: [ChangelogItem] = []
        var previous: [String: Digest] = [:]
        for run in try await store.history(of: name) {
            var summary: String?
            if let before = previous[run.tag], before != run.digest {
                summary = (try? await diff(from: before, to: run.digest))?.summary
            }
            previous[run.tag] = run.digest
            items.append(
                ChangelogItem(
                    at: run.firstSeen, action: "digest.seen", actor: run.source, tag: run.tag, digest: run.digest, reason: nil, flags: run.flags,
                    eventID: nil, summary: summary, signature: try await store.signatureCheck(of: run.digest)))
        }
        var before: Int64?
        while true {
            let events = try await store.auditEvents(AuditFilter(image: name, before: before), limit: 1000)
            items += events.map(Self.item)
            guard events.count == 1000, let last = events.last?.id else { break }
            before = last
        }
        return items.sorted { ($0.at, $0.eventID ?? 0) < ($1.at, $1.eventID ?? 0) }
    }

    static func item(_ event: AuditEvent) -> ChangelogItem {
        let digest = try? Digest(parsing: event.subject)
        let tag = event.action.hasPrefix("tag.") ? event.subject.split(separator: ":", maxSplits: 1).last.map(String.init) : nil
        let heldDigest = (event.after ?? event.before).flatMap { Self.field("digest", in: $0) }.flatMap { try? Digest(parsing: $0) }
        return ChangelogItem(
            at: event.at, action: event.action, actor: event.actor, tag: tag, digest: digest ?? heldDigest, reason: event.reason, flags: [],
            eventID: event.id, summary: nil)
    }

    /// Actions of the catalog-wide changes (token events are not catalog changes).
    static let changeActions = ["image.", "digest.", "tag."]

    /// Every change across the catalog, newest first, a page at a time (page 1 is the
    /// newest): tag runs with what changed from the digest before, and the audited changes
    /// to entries, digests and tags. Reads only as far as the page.
    public func changes(page: Int, perPage: Int) async throws -> (items: [(image: String?, item: ChangelogItem)], more: Bool) {
        precondition(page >= 1 && perPage >= 1)
        let (wanted, overflow) = page.multipliedReportingOverflow(by: perPage)
        guard !overflow, wanted < 1_000_000 else { return ([], false) }
        let runs = try await store.recentRuns(limit: wanted + 1, offset: 0)
        var filter = AuditFilter(actionPrefixes: Self.changeActions)
        filter.byTime = true
        let events = try await store.auditEvents(filter, limit: wanted + 1)
        // Newest first, in one total order that agrees with each query's own (runs by time and
        // then as recorded, events by time and then id), so that pages neither repeat nor skip.
        var merged: [(image: String?, item: ChangelogItem, previous: Digest?, key: (Date, Int, Int64))] =
            runs.map { tracked in
                let run = tracked.run
                return (
                    tracked.image,
                    ChangelogItem(
                        at: run.firstSeen, action: "digest.seen", actor: run.source, tag: run.tag, digest: run.digest, reason: nil, flags: run.flags,
                        eventID: nil, summary: nil), tracked.previous, (run.firstSeen, 0, tracked.sequence)
                )
            } + events.map { ($0.image, Self.item($0), nil, ($0.at, 1, $0.id ?? 0)) }
        merged.sort { $0.key > $1.key }
        var slice = Array(merged.dropFirst(wanted - perPage).prefix(perPage))
        for i in slice.indices where slice[i].item.action == "digest.seen" {
            if let before = slice[i].previous, let after = slice[i].item.digest, before != after {
                slice[i].item.summary = (try? await diff(from: before, to: after))?.summary
            }
            if let digest = slice[i].item.digest { slice[i].item.signature = try await store.signatureCheck(of: digest) }
        }
        return (slice.map { ($0.image, $0.item) }, merged.count > wanted)
    }

    static func field(_ name: String, in json: String) -> String? {
        (try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])?[name] as? String
    }
}
