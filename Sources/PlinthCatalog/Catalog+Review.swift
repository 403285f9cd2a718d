import Foundation
import PlinthCore
import PlinthStore

/// Where an entry stands against its review cadence (the entry's `review: {every: 90d}`).
public struct ReviewStatus: Sendable, Hashable {
    public struct Review: Sendable, Hashable {
        public var at: Date
        public var by: String
        public var note: String
    }

    public var image: String
    public var everyDays: Int
    /// The last review recorded, if any; the cadence counts from the entry's creation until one is.
    public var last: Review?
    public var dueAt: Date
    public var overdue: Bool
}

extension Catalog {
    /// The audit action a review is recorded under, and the one the daily check records for
    /// each entry overdue (webhooks deliver both).
    public static let reviewAction = "image.review"
    public static let reviewDueAction = "review.due"

    /// Records that a curator reviewed an entry, with their note, in the audit log.
    @discardableResult
    public func recordReview(of name: String, note: String, actor: String) async throws -> ReviewStatus? {
        let note = note.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !note.isEmpty else { throw CurationError.invalid(field: "note", message: "a review needs a note: what was looked at and decided") }
        guard note.count <= Self.maxReasonLength else { throw CurationError.invalid(field: "note", message: "must be at most \(Self.maxReasonLength) characters") }
        guard let stored = try await store.entry(named: name) else { throw CurationError.notFound("image '\(name)'") }
        let detail = stored.entry.review.map { #"{"every_days":\#($0.everyDays)}"# }
        try await store.record([AuditEvent(at: now(), actor: actor, action: Self.reviewAction, subject: name, image: name, reason: note, detail: detail)])
        return try await reviewStatus(of: stored, at: now())
    }

    /// Every entry (not retired) with a review cadence and where it stands, soonest due first;
    /// with `overdueOnly`, only those whose review is due.
    public func reviews(overdueOnly: Bool = false) async throws -> [ReviewStatus] {
        let moment = now()
        var statuses: [ReviewStatus] = []
        for stored in try await entries() where stored.entry.review != nil && stored.entry.status != .retired {
            if let status = try await reviewStatus(of: stored, at: moment), !overdueOnly || status.overdue { statuses.append(status) }
        }
        return statuses.sorted { ($0.dueAt, $0.image) < ($1.dueAt, $1.image) }
    }

    func reviewStatus(of stored: StoredEntry, at moment: Date) async throws -> ReviewStatus? {
        guard let cadence = stored.entry.review else { return nil }
        let last = try await store.auditEvents(AuditFilter(action: Self.reviewAction, image: stored.entry.name), limit: 1).first
        let review = last.map { ReviewStatus.Review(at: $0.at, by: $0.actor, note: $0.reason ?? "") }
        let due = cadence.due(after: review?.at ?? stored.createdAt)
        return ReviewStatus(image: stored.entry.name, everyDays: cadence.everyDays, last: review, dueAt: due, overdue: due <= moment)
    }

    /// The daily reminder, once per `interval` across every process on the store: records a
    /// `review.due` audit event for each entry overdue (the webhooks deliver it). Nil when it
    /// was not due or another process ran it.
    public func announceDueReviews(every interval: Duration) async throws -> [ReviewStatus]? {
        let outcome = try await store.exclusively("review-due") { () -> [ReviewStatus]? in
            guard let run = try await self.store.claimRun(of: "review-due", every: interval, now: self.now()) else { return nil }
            let due = try await self.reviews(overdueOnly: true)
            let moment = self.now()
            let events = due.map { status in
                AuditEvent(
                    at: moment, actor: "plinth:review-schedule", action: Self.reviewDueAction, subject: status.image, image: status.image,
                    reason: "review every \(status.everyDays) days; due since \(RFC3339.format(status.dueAt))",
                    detail: #"{"due_at":"\#(RFC3339.format(status.dueAt))","every_days":\#(status.everyDays)\#(status.last.map { #","last_review_at":"\#(RFC3339.format($0.at))""# } ?? "")}"#)
            }
            if !events.isEmpty { try await self.store.record(events) }
            try await self.store.finishRun(run, at: self.now())
            return due
        }
        return outcome ?? nil
    }
}
