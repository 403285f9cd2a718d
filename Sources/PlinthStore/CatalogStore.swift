import Foundation
import PlinthCore

/// An entry as stored, with when it was created and last changed.
public struct StoredEntry: Hashable, Sendable {
    public var entry: CatalogEntry
    public var createdAt: Date
    public var updatedAt: Date

    public init(entry: CatalogEntry, createdAt: Date, updatedAt: Date) {
        self.entry = entry
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// One run of a tag pointing at one digest: `firstSeen` to `lastSeen`.
public struct TagObservation: Hashable, Sendable {
    public var repository: String
    public var tag: String
    public var digest: Digest
    public var firstSeen: Date
    public var lastSeen: Date
    public var source: String
    /// What sync flagged for reviewers when the run started (`index-only-churn`, `dropped-platform:…`).
    public var flags: [String]

    public init(repository: String, tag: String, digest: Digest, firstSeen: Date, lastSeen: Date, source: String, flags: [String] = []) {
        self.repository = repository
        self.tag = tag
        self.digest = digest
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.source = source
        self.flags = flags
    }
}

/// A manifest or index exactly as a registry served it.
public struct RawManifest: Hashable, Sendable {
    public var digest: Digest
    public var mediaType: MediaType
    public var bytes: [UInt8]

    public init(digest: Digest, mediaType: MediaType, bytes: [UInt8]) {
        self.digest = digest
        self.mediaType = mediaType
        self.bytes = bytes
    }
}

/// One sync attempt of a tag: success, or failure with its reason.
public struct SyncAttempt: Hashable, Sendable {
    public var repository: String
    public var tag: String
    public var at: Date
    public var error: String?

    public init(repository: String, tag: String, at: Date, error: String?) {
        self.repository = repository
        self.tag = tag
        self.at = at
        self.error = error
    }
}

/// The outcome of the last sync attempt of a tag.
public struct SyncState: Hashable, Sendable {
    public var repository: String
    public var tag: String
    public var lastAttemptAt: Date
    public var lastSuccessAt: Date?
    /// Set when the last attempt failed: why.
    public var lastError: String?
    public var lastErrorAt: Date?

    public init(repository: String, tag: String, lastAttemptAt: Date, lastSuccessAt: Date?, lastError: String?, lastErrorAt: Date?) {
        self.repository = repository
        self.tag = tag
        self.lastAttemptAt = lastAttemptAt
        self.lastSuccessAt = lastSuccessAt
        self.lastError = lastError
        self.lastErrorAt = lastErrorAt
    }
}

/// A change to the catalog, with who made it and why.
public struct AuditEvent: Hashable, Sendable {
    public var at: Date
    public var actor: String
    /// `image.create`, `image.update`, `image.retire`, `digest.approve`, ...
    public var action: String
    /// What changed: an entry name or a digest.
    public var subject: String
    public var reason: String?
    /// JSON describing the change.
    public var detail: String?

    public init(at: Date, actor: String, action: String, subject: String, reason: String? = nil, detail: String? = nil) {
        self.at = at
        self.actor = actor
        self.action = action
        self.subject = subject
        self.reason = reason
        self.detail = detail
    }
}

/// What a tag pointed at, and the approval a policy grants it if the store has none yet.
public struct ObservationWrite: Hashable, Sendable {
    public var snapshot: ImageSnapshot
    /// Entry whose policy approves the digest, when it is not yet approved there.
    public var approveFor: String?
    public var approval: Approval?
    /// The exact bytes of the manifests read (the index and its platform manifests).
    public var documents: [RawManifest]
    /// Recorded on the run this observation starts, if it starts one.
    public var flags: [String]

    public init(snapshot: ImageSnapshot, approveFor image: String? = nil, approval: Approval? = nil, documents: [RawManifest] = [], flags: [String] = []) {
        self.snapshot = snapshot
        self.approveFor = image
        self.approval = approval
        self.documents = documents
        self.flags = flags
    }
}

/// Everything one use case writes, applied by the store in one transaction: all of it or none.
public struct ChangeSet: Sendable {
    public var created: [CatalogEntry] = []
    public var updated: [CatalogEntry] = []
    public var observations: [ObservationWrite] = []
    public var events: [AuditEvent] = []
    /// Sync attempts to record (bookkeeping: they do not count as catalog changes).
    public var syncAttempts: [SyncAttempt] = []

    public init(
        created: [CatalogEntry] = [], updated: [CatalogEntry] = [], observations: [ObservationWrite] = [], events: [AuditEvent] = [],
        syncAttempts: [SyncAttempt] = []
    ) {
        self.created = created
        self.updated = updated
        self.observations = observations
        self.events = events
        self.syncAttempts = syncAttempts
    }

    public var isEmpty: Bool { created.isEmpty && updated.isEmpty && observations.isEmpty && events.isEmpty && syncAttempts.isEmpty }
}

/// What a committed change set did to tag history.
public struct ChangeOutcome: Hashable, Sendable {
    /// Observations that started a new run (a tag seen at a digest not known at that time).
    public var newObservations = 0
    /// Observations that extended the current run's last-seen time.
    public var extendedObservations = 0
    public var approvalsAdded = 0

    public init() {}
}

/// Everything the verdict rules need to judge one digest.
public struct DigestFacts: Sendable {
    /// The digest itself, or the index it belongs to when the digest asked for is a platform manifest.
    public var digest: Digest
    public var mediaType: MediaType?
    public var lineages: [TagLineage]
    public var revocations: [Digest: Revocation]
    public var children: [IndexChild]
    public var firstSeen: Date?
    public var lastSeen: Date?

    public init(
        digest: Digest, mediaType: MediaType?, lineages: [TagLineage], revocations: [Digest: Revocation], children: [IndexChild],
        firstSeen: Date?, lastSeen: Date?
    ) {
        self.digest = digest
        self.mediaType = mediaType
        self.lineages = lineages
        self.revocations = revocations
        self.children = children
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
    }
}

/// An index that lists a platform manifest.
public struct ParentIndex: Hashable, Sendable {
    public var index: Digest
    public var child: IndexChild
}

/// Errors a store reports in domain terms; SQL never reaches a caller.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    case alreadyExists(String)
    case notFound(String)
    case conflict(String)

    public var description: String {
        switch self {
        case .alreadyExists(let what): "\(what) already exists"
        case .notFound(let what): "\(what) not found"
        case .conflict(let what): what
        }
    }
}

/// The persistence Plinth's use cases need. The SQLite implementation is `SQLiteStore`;
/// PostgreSQL comes later behind the same protocol.
public protocol CatalogStore: Sendable {
    func entries() async throws -> [StoredEntry]
    func entry(named name: String) async throws -> StoredEntry?
    /// Applies every write of `changes` in one transaction.
    @discardableResult
    func commit(_ changes: ChangeSet) async throws -> ChangeOutcome
    /// Facts about `digest` as an index or single manifest that tags pointed at; nil if no tag ever did.
    func facts(about digest: Digest) async throws -> DigestFacts?
    /// Indexes that list `digest` as a child.
    func parents(of digest: Digest) async throws -> [ParentIndex]
    /// Every run of every tracked tag of the entry, oldest first.
    func history(of image: String) async throws -> [TagObservation]
    /// Approvals recorded for an entry, by digest.
    func approvals(of image: String) async throws -> [Digest: Approval]
    /// Every revoked digest.
    func revocations() async throws -> [Digest: Revocation]
    func packages(of manifest: Digest) async throws -> [InstalledPackage]
    func auditEvents(limit: Int) async throws -> [AuditEvent]
    /// The exact bytes a registry served for a manifest, when Plinth read them.
    func manifestContent(_ digest: Digest) async throws -> Data?
    /// The latest run of a tag, if it was ever seen.
    func currentRun(repository: String, tag: String) async throws -> TagObservation?
    /// The children of an index, in its order (attestations included); empty for a manifest or an unknown digest.
    func children(of index: Digest) async throws -> [IndexChild]
    /// The last sync attempt of each tag of an entry.
    func syncStates(of image: String) async throws -> [SyncState]
    /// A number that changes whenever a commit changes anything, for caches to compare.
    func generation() async -> UInt64
}
