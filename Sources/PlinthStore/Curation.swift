import Foundation
import PlinthCore

/// A curator's decision as a store carries it out: judged by `CurationRules` on the facts the
/// backend reads inside the decision's transaction, then written with the audit event built
/// here, the same on every backend.
struct Curation: Sendable {
    var decision: CurationRules.Decision
    var attribution: Attribution
    /// For an exception: when it ends.
    var expires: Date?
    /// For an exception: OpenVEX's justification, when the curator gave one.
    var justification: VEXJustification?

    var reason: String { attribution.reason ?? "" }
    var at: String { Timestamp.format(attribution.at) }

    /// Refuses the decision, as a store error, when the rules say it does not apply.
    func check(_ facts: CurationFacts) throws {
        do { try CurationRules.check(decision, reason: attribution.reason, facts: facts) } catch {
            switch error {
            case .notFound(let what): throw StoreError.notFound(what)
            case .conflict(let message): throw StoreError.conflict(message)
            }
        }
    }

    /// The decision's audit event. `exceptionBefore` is the JSON of the exception an
    /// exception replaces, if any.
    func event(_ facts: CurationFacts, exceptionBefore: String? = nil) -> AuditEvent {
        let by = attribution.by
        let time = attribution.at
        switch decision {
        case .approve(let image, let digest):
            return AuditEvent(
                at: time, actor: by, action: "digest.approve", subject: digest.description, image: image, reason: attribution.reason,
                after: JSONText.object(["image": image, "approved_by": by, "approved_at": at]))
        case .revoke(let digest):
            return AuditEvent(
                at: time, actor: by, action: "digest.revoke", subject: digest.description, reason: reason,
                after: JSONText.object(["revoked_by": by, "revoked_at": at], lists: facts.dependents.isEmpty ? [:] : ["dependents": facts.dependents]))
        case .liftRevocation(let digest):
            return AuditEvent(
                at: time, actor: by, action: "digest.unrevoke", subject: digest.description, reason: reason,
                before: facts.revocation.map { JSONText.object(["revoked_by": $0.by, "revoked_at": Timestamp.format($0.at), "reason": $0.reason]) })
        case .hold(let image, let tag, let digest):
            return AuditEvent(
                at: time, actor: by, action: "tag.hold", subject: "\(image):\(tag)", image: image, reason: reason,
                before: facts.hold.map(Self.holdJSON), after: Self.holdJSON(Hold(digest: digest, by: by, at: time, reason: reason)))
        case .release(let image, let tag):
            return AuditEvent(
                at: time, actor: by, action: "tag.release", subject: "\(image):\(tag)", image: image, reason: attribution.reason,
                before: facts.hold.map(Self.holdJSON))
        case .except(let image, let advisory):
            return AuditEvent(
                at: time, actor: by, action: "advisory.except", subject: advisory, image: image, reason: reason, before: exceptionBefore,
                after: JSONText.object(["reason": reason, "expires_at": expires.map(Timestamp.format), "justification": justification?.rawValue]))
        }
    }

    static func holdJSON(_ hold: Hold) -> String {
        JSONText.object(["digest": hold.digest.description, "held_by": hold.by, "held_at": Timestamp.format(hold.at), "reason": hold.reason])
    }

    /// The approval an automatic policy grants at sync or apply, as its audit event.
    static func automaticApproval(_ digest: String, image: String, tag: String, _ approval: Approval) -> AuditEvent {
        AuditEvent(
            at: approval.at, actor: approval.by, action: "digest.approve", subject: digest, image: image, reason: approval.reason,
            after: JSONText.object(["image": image, "tag": tag, "approved_by": approval.by, "approved_at": Timestamp.format(approval.at)]))
    }
}
