import Foundation
import PlinthCore
import PlinthStore

/// Why a curation request was refused; nothing was written.
public enum CurationError: Error, Equatable, CustomStringConvertible {
    /// The entry document breaks the catalog's rules (each problem names its field).
    case invalidEntry([EntryFileError])
    /// A request value is wrong: which one, and why.
    case invalid(field: String?, message: String)
    case notFound(String)
    /// The change does not apply to the catalog as it is (already approved, revoked, ...).
    case conflict(String)
    /// The entry changed since the revision the request named (`If-Match`).
    case stale(String)

    public var description: String {
        switch self {
        case .invalidEntry(let problems): problems.map { ($0.field.map { "\($0): " } ?? "") + $0.message }.joined(separator: "; ")
        case .invalid(let field, let message): (field.map { "\($0): " } ?? "") + message
        case .notFound(let what): "\(what) not found"
        case .conflict(let message), .stale(let message): message
        }
    }
}

extension Catalog {
    static let maxReasonLength = 2000

    /// Creates an entry from its JSON document, validated exactly as `apply` validates a file.
    public func createImage(document: Data, actor: String, reason: String?) async throws -> StoredEntry {
        let entry = try Self.entry(fromJSON: document)
        try Self.checkReason(reason, required: false)
        try await checkReferences(of: entry)
        if try await store.entry(named: entry.name) != nil { throw CurationError.conflict("an image named '\(entry.name)' already exists") }
        let event = AuditEvent(
            at: now(), actor: actor, action: "image.create", subject: entry.name, image: entry.name, reason: reason, after: try Self.json(entry))
        try await curation { try await store.create(entry, event: event) }
        guard let stored = try await store.entry(named: entry.name) else { throw CurationError.notFound("image '\(entry.name)'") }
        return stored
    }

    /// Applies a JSON merge patch (RFC 7396) to an entry and validates the result as `apply`
    /// would. With `revision` the update happens only if the entry is still at it; without,
    /// a concurrent change makes it start over from the new state (never a lost update).
    /// Moving to `deprecated` needs a successor.
    public func updateImage(named name: String, mergePatch: Data, revision: Int?, actor: String, reason: String?) async throws -> StoredEntry {
        try Self.checkReason(reason, required: false)
        guard let patch = try? JSONSerialization.jsonObject(with: mergePatch, options: [.fragmentsAllowed]) as? [String: Any] else {
            throw CurationError.invalid(field: nil, message: "the body must be a JSON object (a merge patch of the entry)")
        }
        if let patched = patch["name"] as? String, patched != name {
            throw CurationError.invalid(field: "name", message: "an entry's name cannot change ('\(name)' → '\(patched)'); create a new entry instead")
        }
        for attempt in 1...20 {
            guard let stored = try await store.entry(named: name) else { throw CurationError.notFound("image '\(name)'") }
            if let revision, revision != stored.revision {
                throw CurationError.stale("image '\(name)' is at revision \(stored.revision), not \(revision): read it again")
            }
            let old = stored.entry
            let merged = Self.mergePatch(try Self.jsonObject(old), patch)
            let entry = try Self.entry(fromJSON: try JSONSerialization.data(withJSONObject: merged, options: [.sortedKeys]))
            if entry.status == .deprecated, entry.successor == nil, old.status != .deprecated || old.successor != nil {
                throw CurationError.invalid(field: "successor", message: "deprecating an entry needs a successor (the entry that replaces it)")
            }
            try await checkReferences(of: entry)
            guard entry != old else { return stored }
            let action =
                entry.status != old.status && entry.status == .deprecated ? "image.deprecate"
                : entry.status != old.status && entry.status == .retired ? "image.retire" : "image.update"
            let event = AuditEvent(
                at: now(), actor: actor, action: action, subject: name, image: name, reason: reason, before: try Self.json(old), after: try Self.json(entry))
            do {
                try await curation { try await store.update(entry, revision: stored.revision, event: event) }
            } catch CurationError.stale(let message) {
                if revision != nil || attempt == 20 { throw CurationError.stale(message) }
                continue
            }
            guard let updated = try await store.entry(named: name) else { throw CurationError.notFound("image '\(name)'") }
            return updated
        }
        throw CurationError.stale("image '\(name)' kept changing; try again")
    }

    /// Approves a digest for an entry. Without `image`, the one entry whose tags pointed at it.
    public func approve(_ digest: Digest, image: String?, actor: String, reason: String?) async throws {
        try Self.checkReason(reason, required: false)
        let image = try await owningImage(of: digest, named: image)
        try await refuseRevoked(digest, "approved")
        try await curation { try await store.approve(digest, for: image, Attribution(by: actor, at: now(), reason: reason)) }
    }

    /// Revokes a digest everywhere it appears; a reason is required.
    public func revoke(_ digest: Digest, actor: String, reason: String?) async throws {
        try Self.checkReason(reason, required: true)
        try await curation { try await store.revoke(digest, Attribution(by: actor, at: now(), reason: reason)) }
    }

    /// Lifts a revocation made by mistake; a reason is required.
    public func liftRevocation(of digest: Digest, actor: String, reason: String?) async throws {
        try Self.checkReason(reason, required: true)
        try await curation { try await store.liftRevocation(of: digest, Attribution(by: actor, at: now(), reason: reason)) }
    }

    /// Holds a tag at an earlier approved digest (rollback); a reason is required.
    public func hold(image: String, tag: String, at digest: Digest, actor: String, reason: String?) async throws {
        try Self.checkReason(reason, required: true)
        try await refuseRevoked(digest, "held at")
        try await curation { try await store.hold(tag, of: image, at: digest, Attribution(by: actor, at: now(), reason: reason)) }
    }

    public func release(image: String, tag: String, actor: String, reason: String?) async throws {
        try Self.checkReason(reason, required: false)
        try await curation { try await store.release(tag, of: image, Attribution(by: actor, at: now(), reason: reason)) }
    }

    // MARK: Helpers

    /// A revoked digest (or an index listing a revoked platform manifest) is neither approved
    /// nor held at: the catalog's rule, whichever store keeps the records.
    func refuseRevoked(_ digest: Digest, _ what: String) async throws {
        guard let revocation = try await revocationsInForce(now: now())[digest] else { return }
        if let manifest = revocation.manifest, let platform = revocation.platform {
            throw CurationError.conflict("digest \(digest) lists the revoked \(platform) manifest \(manifest); it cannot be \(what)")
        }
        throw CurationError.conflict("digest \(digest) is revoked; a revoked digest cannot be \(what)")
    }

    /// Runs a store write, with the store's refusals as curation errors.
    func curation(_ write: () async throws -> Void) async throws {
        do {
            try await write()
        } catch let error as StoreError {
            switch error {
            case .notFound(let what): throw CurationError.notFound(what)
            case .alreadyExists(let what): throw CurationError.conflict("\(what) already exists")
            case .conflict(let message): throw CurationError.conflict(message)
            case .staleRevision: throw CurationError.stale(error.description)
            }
        }
    }

    /// The entry a digest is approved for: the one named (which must have seen it), else the
    /// only one whose tags pointed at it.
    func owningImage(of digest: Digest, named image: String?) async throws -> String {
        if let image {
            guard try await store.entry(named: image) != nil else { throw CurationError.notFound("image '\(image)'") }
            return image
        }
        let names = Set(try await store.facts(about: digest)?.lineages.map(\.image) ?? []).sorted()
        switch names.count {
        case 0: throw CurationError.notFound("digest \(digest) on a tag of any entry (approve an index digest, not a platform manifest)")
        case 1: return names[0]
        default: throw CurationError.invalid(field: "image", message: "digest \(digest) was seen by several entries (\(names.joined(separator: ", "))): name one")
        }
    }

    static func checkReason(_ reason: String?, required: Bool) throws {
        if required, reason?.isEmpty ?? true { throw CurationError.invalid(field: "reason", message: "a reason is required") }
        if let reason, reason.count > maxReasonLength {
            throw CurationError.invalid(field: "reason", message: "must be at most \(maxReasonLength) characters")
        }
    }

    /// Rules that involve other entries: the successor exists, no tag is tracked twice.
    func checkReferences(of entry: CatalogEntry) async throws {
        let others = try await store.entries().map(\.entry).filter { $0.name != entry.name }
        if let successor = entry.successor {
            guard successor != entry.name else { throw CurationError.invalid(field: "successor", message: "an entry cannot succeed itself") }
            guard others.contains(where: { $0.name == successor }) else {
                throw CurationError.invalid(field: "successor", message: "no entry named '\(successor)' in the catalog")
            }
        }
        for other in others where other.repository == entry.repository {
            if let tag = entry.tags.first(where: other.tags.contains) {
                throw CurationError.conflict("\(entry.repository):\(tag) is already tracked by entry '\(other.name)'")
            }
        }
    }

    /// An entry from JSON, through the same strict reader as catalog files.
    static func entry(fromJSON data: Data) throws -> CatalogEntry {
        guard let text = String(data: data, encoding: .utf8) else { throw CurationError.invalid(field: nil, message: "the body is not UTF-8") }
        do { return try EntryFile.parse(text, file: "body") } catch { throw CurationError.invalidEntry([error]) }
    }

    static func json(_ entry: CatalogEntry) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(entry), as: UTF8.self)
    }

    static func jsonObject(_ entry: CatalogEntry) throws -> [String: Any] {
        (try JSONSerialization.jsonObject(with: Data(try json(entry).utf8)) as? [String: Any]) ?? [:]
    }

    /// RFC 7396: objects merge member by member, `null` removes, anything else replaces.
    static func mergePatch(_ target: Any?, _ patch: Any) -> Any {
        guard let patch = patch as? [String: Any] else { return patch }
        var result = (target as? [String: Any]) ?? [:]
        for (key, value) in patch {
            if value is NSNull { result.removeValue(forKey: key) } else { result[key] = mergePatch(result[key], value) }
        }
        return result
    }
}
