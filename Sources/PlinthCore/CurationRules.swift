import Foundation

/// What the catalog holds about one curator decision's subject, as a store reads it inside
/// the decision's transaction.
public struct CurationFacts: Sendable, Hashable {
    public var imageExists = false
    /// The tag named by a hold or release is tracked by the entry.
    public var tagTracked = false
    /// A tag of the entry (or the tag named) ever pointed at the digest.
    public var digestSeen = false
    /// Plinth has read the digest as a manifest, an index or an index's child.
    public var digestKnown = false
    public var revocation: Revocation?
    /// Who approved the digest for the entry, if anyone did.
    public var approvedBy: String?
    /// The hold on the tag named, if it has one.
    public var hold: Hold?
    /// The advisory an exception names is stored.
    public var advisoryExists = false
    /// For a revocation: the built images recorded on the digest (or on a platform manifest
    /// of it, for an index), as `repository@manifest`, for the audit event.
    public var dependents: [String] = []

    public init() {}
}

/// Why a curator decision does not apply: nothing is written.
public enum CurationRefusal: Error, Equatable, CustomStringConvertible {
    /// The subject does not exist (its description names it).
    case notFound(String)
    case conflict(String)

    public var description: String {
        switch self {
        case .notFound(let what): "\(what) not found"
        case .conflict(let message): message
        }
    }
}

/// The catalog's rules for curator decisions, the same for every store: a store reads the
/// facts in the decision's transaction, asks `check`, and writes only if it passes.
public enum CurationRules {
    public enum Decision: Sendable, Hashable {
        case approve(image: String, digest: Digest)
        case revoke(digest: Digest)
        case liftRevocation(digest: Digest)
        case hold(image: String, tag: String, digest: Digest)
        case release(image: String, tag: String)
        case except(image: String, advisory: String)
    }

    public static func check(_ decision: Decision, reason: String?, facts: CurationFacts) throws(CurationRefusal) {
        let hasReason = !(reason ?? "").isEmpty
        switch decision {
        case .approve(let image, let digest):
            guard facts.imageExists else { throw .notFound("image '\(image)'") }
            guard facts.digestSeen else { throw .notFound("digest \(digest) on a tag of image '\(image)'") }
            if facts.revocation != nil { throw .conflict("digest \(digest) is revoked; a revoked digest cannot be approved") }
            if let by = facts.approvedBy { throw .conflict("digest \(digest) is already approved for '\(image)' (by \(by))") }
        case .revoke(let digest):
            guard facts.digestKnown else { throw .notFound("digest \(digest)") }
            if let existing = facts.revocation { throw .conflict("digest \(digest) is already revoked (by \(existing.by): \(existing.reason))") }
            guard hasReason else { throw .conflict("a revocation needs a reason") }
        case .liftRevocation(let digest):
            guard facts.revocation != nil else { throw .notFound("a revocation of \(digest)") }
            guard hasReason else { throw .conflict("lifting a revocation needs a reason") }
        case .hold(let image, let tag, let digest):
            guard facts.imageExists else { throw .notFound("image '\(image)'") }
            guard facts.tagTracked else { throw .notFound("tag '\(tag)' tracked by image '\(image)'") }
            guard facts.digestSeen else { throw .notFound("digest \(digest) in the history of tag '\(tag)' of '\(image)'") }
            if facts.revocation != nil { throw .conflict("digest \(digest) is revoked; a tag cannot be held at it") }
            guard facts.approvedBy != nil else {
                throw .conflict("digest \(digest) is not approved for '\(image)'; only an approved digest can be held")
            }
            if facts.hold?.digest == digest { throw .conflict("tag '\(tag)' of '\(image)' is already held at \(digest)") }
            guard hasReason else { throw .conflict("a hold needs a reason") }
        case .release(let image, let tag):
            guard facts.imageExists else { throw .notFound("image '\(image)'") }
            guard facts.tagTracked else { throw .notFound("tag '\(tag)' tracked by image '\(image)'") }
            guard facts.hold != nil else { throw .notFound("a hold on tag '\(tag)' of '\(image)'") }
        case .except(let image, let advisory):
            guard facts.imageExists else { throw .notFound("image '\(image)'") }
            guard facts.advisoryExists else { throw .notFound("advisory '\(advisory)'") }
            guard hasReason else { throw .conflict("an exception needs a reason") }
        }
    }
}
