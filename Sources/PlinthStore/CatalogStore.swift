import Foundation
import PlinthCore

/// An entry as stored, with when it was created and last changed.
public struct StoredEntry: Hashable, Sendable {
    public var entry: CatalogEntry
    public var createdAt: Date
    public var updatedAt: Date
    /// Counts the entry's changes; an update names the revision it read (optimistic concurrency).
    public var revision: Int

    public init(entry: CatalogEntry, createdAt: Date, updatedAt: Date, revision: Int = 1) {
        self.entry = entry
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.revision = revision
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

/// A change to the catalog, with who made it and why: one link of the audit log's hash chain.
public struct AuditEvent: Hashable, Sendable {
    /// Set once written: the event's place in the chain.
    public var id: Int64?
    public var at: Date
    public var actor: String
    /// `image.create`, `image.update`, `image.deprecate`, `image.retire`, `digest.approve`,
    /// `digest.revoke`, `digest.unrevoke`, `tag.hold`, `tag.release`, `token.create`, `token.revoke`.
    public var action: String
    /// What changed: an entry name, a digest, `name:tag`, or a token name.
    public var subject: String
    /// The entry the change concerns, when there is one (for changelogs).
    public var image: String?
    public var reason: String?
    /// JSON of the state before and after the change.
    public var before: String?
    public var after: String?
    /// Anything else, as JSON.
    public var detail: String?
    /// Set once written: the hash of the event before, and this event's own.
    public var previousHash: String?
    public var hash: String?
    /// Set once written: `at` exactly as stored, which the hash covers (a time read back
    /// from text need not format to the same text).
    public var recordedAt: String?

    public init(
        at: Date, actor: String, action: String, subject: String, image: String? = nil, reason: String? = nil, before: String? = nil,
        after: String? = nil, detail: String? = nil
    ) {
        self.at = at
        self.actor = actor
        self.action = action
        self.subject = subject
        self.image = image
        self.reason = reason
        self.before = before
        self.after = after
        self.detail = detail
    }
}

/// Which audit events to list, newest first.
public struct AuditFilter: Sendable, Equatable {
    public var actor: String?
    public var subject: String?
    public var action: String?
    public var image: String?
    public var since: Date?
    public var until: Date?
    /// Only events older than this id (the cursor of the page before).
    public var before: Int64?
    /// Only events whose action starts with one of these (`digest.`, `tag.`).
    public var actionPrefixes: [String]?
    /// Newest by time (`at`, then id) rather than by id: a test clock, or a clock set back,
    /// can record an older time after a newer one.
    public var byTime = false

    public init(
        actor: String? = nil, subject: String? = nil, action: String? = nil, image: String? = nil, since: Date? = nil, until: Date? = nil,
        before: Int64? = nil, actionPrefixes: [String]? = nil
    ) {
        self.actionPrefixes = actionPrefixes
        self.actor = actor
        self.subject = subject
        self.action = action
        self.image = image
        self.since = since
        self.until = until
        self.before = before
    }
}

/// Who made a change, when, and why: what every curator's decision carries into its audit event.
public struct Attribution: Hashable, Sendable {
    public var by: String
    public var at: Date
    public var reason: String?

    public init(by: String, at: Date, reason: String?) {
        self.by = by
        self.at = at
        self.reason = reason
    }
}

/// An API token as stored: never the secret, only its hash.
public struct TokenRecord: Hashable, Sendable {
    public var id: String
    public var name: String
    public var role: Role
    public var secretHash: String
    public var createdBy: String
    public var createdAt: Date
    public var expiresAt: Date?
    public var revokedAt: Date?

    public init(id: String, name: String, role: Role, secretHash: String, createdBy: String, createdAt: Date, expiresAt: Date?, revokedAt: Date? = nil) {
        self.id = id
        self.name = name
        self.role = role
        self.secretHash = secretHash
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
    }
}

/// An advisory to store: the record, its severity, and its affected packages by ecosystem.
public struct AdvisoryWrite: Sendable {
    public var record: OSVRecord
    /// The record's JSON as imported.
    public var document: String
    public var severity: AdvisorySeverity
    public var score: Double?

    public init(record: OSVRecord, document: String, severity: AdvisorySeverity, score: Double?) {
        self.record = record
        self.document = document
        self.severity = severity
        self.score = score
    }
}

/// What an import did: records new to the store, newer versions of known ones, and ones
/// already there at that `modified` (or older).
public struct AdvisoryImportOutcome: Sendable, Hashable {
    public var added = 0
    public var updated = 0
    public var unchanged = 0

    public init() {}
}

/// An affected-package entry of a stored advisory, as matching needs it.
public struct StoredAffected: Sendable, Hashable {
    public var advisoryID: String
    public var severity: AdvisorySeverity
    public var score: Double?
    public var published: Date?
    public var summary: String?
    public var ecosystem: String
    public var package: String
    /// The entry's ranges (its `versions` list is in `listedVersions`).
    public var affected: OSVRecord.Affected
    /// The entry's `versions`, joined as the store keeps them; ask `lists(_:)`.
    var listedVersions: Substring

    /// Whether the advisory lists `version` as affected (OSV `versions`).
    public func lists(_ version: String) -> Bool { AffectedCoding.lists(listedVersions, version) }

    public init(
        advisoryID: String, severity: AdvisorySeverity, score: Double?, published: Date?, summary: String?, ecosystem: String, package: String,
        affected: OSVRecord.Affected, listedVersions: Substring = ""
    ) {
        self.listedVersions = listedVersions
        self.advisoryID = advisoryID
        self.severity = severity
        self.score = score
        self.published = published
        self.summary = summary
        self.ecosystem = ecosystem
        self.package = package
        self.affected = affected
    }
}

/// A curator's word that an advisory does not affect an entry, until it expires.
public struct AdvisoryException: Sendable, Hashable {
    public var image: String
    public var advisoryID: String
    public var reason: String
    public var by: String
    public var at: Date
    public var expiresAt: Date
    public var justification: VEXJustification?

    public init(image: String, advisoryID: String, reason: String, by: String, at: Date, expiresAt: Date, justification: VEXJustification? = nil) {
        self.justification = justification
        self.image = image
        self.advisoryID = advisoryID
        self.reason = reason
        self.by = by
        self.at = at
        self.expiresAt = expiresAt
    }
}

/// One attempt to deliver an event to a webhook.
public struct DeliveryAttempt: Hashable, Sendable {
    public var webhook: String
    public var eventID: Int64
    public var attempt: Int
    public var at: Date
    /// The receiver's HTTP status, when it answered.
    public var status: Int?
    public var error: String?

    public init(webhook: String, eventID: Int64, attempt: Int, at: Date, status: Int?, error: String?) {
        self.webhook = webhook
        self.eventID = eventID
        self.attempt = attempt
        self.at = at
        self.status = status
        self.error = error
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
    /// What each platform manifest's layers say its OS is, when they were read.
    public var osReleases: [Digest: PackageDatabase.OSRelease] = [:]
    /// Each platform manifest's layer diff_ids (from its config), in order.
    public var diffIDs: [Digest: [Digest]] = [:]
    /// Each platform manifest's attack surface, when its layers were read.
    public var surfaces: [Digest: SurfaceReport] = [:]
    /// What sync found and verified of the digest's signatures, under the entry's policy.
    public var signature: SignatureCheck?

    public init(snapshot: ImageSnapshot, approveFor image: String? = nil, approval: Approval? = nil, documents: [RawManifest] = [], flags: [String] = []) {
        self.snapshot = snapshot
        self.approveFor = image
        self.approval = approval
        self.documents = documents
        self.flags = flags
    }

    /// The digests whose kept health bases this write changes: the platform manifests (or
    /// manifest) whose packages or OS it records. (An index's platforms are written with its
    /// first observation, before any basis of it can exist.)
    var healthInputs: Set<Digest> {
        Set(snapshot.packages.filter { !$0.value.isEmpty }.keys).union(osReleases.keys)
    }
}

/// What applying catalog files writes, in one transaction: the new and changed entries (with
/// their tags), then the snapshots' observations (judged by the entries as applied), then the
/// audit events that say so. All of it or none.
public struct CatalogPlan: Sendable {
    public var created: [CatalogEntry] = []
    public var updated: [CatalogEntry] = []
    public var observations: [ObservationWrite] = []
    public var events: [AuditEvent] = []

    public init(created: [CatalogEntry] = [], updated: [CatalogEntry] = [], observations: [ObservationWrite] = [], events: [AuditEvent] = []) {
        self.created = created
        self.updated = updated
        self.observations = observations
        self.events = events
    }

    public var isEmpty: Bool { created.isEmpty && updated.isEmpty && observations.isEmpty && events.isEmpty }
}

/// What a write did to tag history.
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

/// What the verdict rules and an entry's view need of its tags: every run, the entry's
/// approvals, each tag's last sync attempt and hold.
public struct EntryRecords: Hashable, Sendable {
    /// Every run of every tracked tag, by tag, then oldest first.
    public var runs: [TagObservation] = []
    public var approvals: [Digest: Approval] = [:]
    public var syncStates: [SyncState] = []
    public var holds: [String: Hold] = [:]

    public init() {}
}

/// A run of a tracked tag, with the entry that tracks the tag and the digest the tag
/// pointed at in the run before (nil for its first).
public struct TrackedRun: Hashable, Sendable {
    /// The run's place in the order runs were recorded (ties of `firstSeen` are in this order).
    public var sequence: Int64
    public var image: String
    public var run: TagObservation
    public var previous: Digest?

    public init(sequence: Int64, image: String, run: TagObservation, previous: Digest?) {
        self.sequence = sequence
        self.image = image
        self.run = run
        self.previous = previous
    }
}

/// An index that lists a platform manifest.
public struct ParentIndex: Hashable, Sendable {
    public var index: Digest
    public var child: IndexChild
}

/// What a change touched, for caches that forget only the answers it touches.
public enum ChangeScope: Hashable, Sendable {
    /// Anything may have changed (an entry's document, advisories).
    case everything
    /// The entry's tags, approvals, holds, exceptions or runs.
    case entry(String)
    /// The digest's own facts: seen, read, revoked or no longer revoked.
    case digest(Digest)

    var text: String {
        switch self {
        case .everything: "*"
        case .entry(let name): "entry:\(name)"
        case .digest(let digest): "digest:\(digest)"
        }
    }

    init?(text: Substring) {
        if text == "*" {
            self = .everything
        } else if text.hasPrefix("entry:") {
            self = .entry(String(text.dropFirst(6)))
        } else if text.hasPrefix("digest:"), let digest = try? Digest(parsing: String(text.dropFirst(7))) {
            self = .digest(digest)
        } else {
            return nil
        }
    }
}

/// A built image Plinth judged by its base: one platform manifest of a repository, the base
/// its layers begin with, and when Plinth first and last saw it (lineage: who is built on what).
public struct BuiltImage: Sendable, Hashable {
    /// How a built image reached Plinth.
    public enum Source: String, Sendable, Hashable, CaseIterable {
        /// `plinth check --image` or `POST /v1/check` with images.
        case check
        /// An admission controller asked (the Gatekeeper provider).
        case admission
        /// A registry's push notification (`POST /v1/hooks/distribution`).
        case registry
    }

    /// `registry/path`, as Docker normalises it.
    public var repository: String
    /// The built image's platform manifest.
    public var manifest: Digest
    /// The cataloged platform manifest its layers begin with.
    public var base: Digest
    /// The reference it was last judged as.
    public var reference: String
    public var source: Source
    public var firstSeen: Date
    public var lastSeen: Date

    public init(repository: String, manifest: Digest, base: Digest, reference: String, source: Source, firstSeen: Date, lastSeen: Date) {
        self.repository = repository
        self.manifest = manifest
        self.base = base
        self.reference = reference
        self.source = source
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
    }
}

/// One change the store committed: the version it moved to, and what it touched.
public struct StoreChange: Hashable, Sendable {
    public var version: UInt64
    public var scopes: Set<ChangeScope>

    public init(version: UInt64, scopes: Set<ChangeScope>) {
        self.version = version
        self.scopes = scopes
    }
}

/// A run of a periodic job: when it started, and whether it resumes one cut short.
public struct JobRun: Sendable, Hashable {
    public var job: String
    public var startedAt: Date
    public var resumed: Bool
    /// `started_at` exactly as stored (a time read back from text need not format to the same text).
    var recordedStart: String

    init(job: String, recordedStart: String, resumed: Bool) throws {
        self.job = job
        self.startedAt = try Timestamp.parse(recordedStart)
        self.recordedStart = recordedStart
        self.resumed = resumed
    }

    /// Whether a run that last started at `started` (and finished, or not) is due again at `now`.
    /// A small slack keeps a scheduler that wakes a moment early from waiting a whole interval more.
    static func due(started: Date, now: Date, every interval: Duration) -> Bool {
        let seconds = Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
        return now.timeIntervalSince(started) >= seconds - min(seconds / 10, 1)
    }
}

/// Errors a store reports in domain terms; SQL never reaches a caller.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    case alreadyExists(String)
    case notFound(String)
    case conflict(String)
    /// The entry changed since the revision an update was based on.
    case staleRevision(image: String, current: Int)

    public var description: String {
        switch self {
        case .alreadyExists(let what): "\(what) already exists"
        case .notFound(let what): "\(what) not found"
        case .conflict(let what): what
        case .staleRevision(let image, let current): "image '\(image)' has changed since it was read (now at revision \(current))"
        }
    }
}

/// The persistence Plinth's use cases need, on SQLite or PostgreSQL (`Stores.open`).
///
/// Every write is one operation named for what it does, in one transaction: it checks what the
/// catalog's rules need (`CurationRules`, on facts read inside that transaction), writes, and
/// appends its audit events to the chain, or writes nothing and throws `StoreError`.
public protocol CatalogStore: Sendable {
    // MARK: Writes

    /// Creates an entry with its tags; `StoreError.alreadyExists` when the name or a tag is taken.
    func create(_ entry: CatalogEntry, event: AuditEvent) async throws
    /// Replaces an entry's document and tags, only if it is still at `revision` (when given):
    /// `StoreError.staleRevision` otherwise.
    func update(_ entry: CatalogEntry, revision: Int?, event: AuditEvent) async throws
    /// Applies catalog files: their entries, their snapshots' observations and the events.
    @discardableResult
    func apply(_ plan: CatalogPlan) async throws -> ChangeOutcome
    /// Records one sync attempt of a tag, with what it observed when it succeeded.
    @discardableResult
    func recordSync(_ observation: ObservationWrite?, attempt: SyncAttempt) async throws -> ChangeOutcome
    /// Approves a digest seen on the entry's tags.
    func approve(_ digest: Digest, for image: String, _ attribution: Attribution) async throws
    /// Withdraws a digest everywhere it appears; a reason is required.
    func revoke(_ digest: Digest, _ attribution: Attribution) async throws
    /// Lifts a revocation made by mistake.
    func liftRevocation(of digest: Digest, _ attribution: Attribution) async throws
    /// Marks an advisory as not affecting the entry, until `expires` (replacing an earlier
    /// exception), with OpenVEX's justification when the curator gave one.
    func except(_ advisory: String, for image: String, until expires: Date, justification: VEXJustification?, _ attribution: Attribution) async throws
    /// Holds a tag of the entry at an approved digest it pointed at before.
    func hold(_ tag: String, of image: String, at digest: Digest, _ attribution: Attribution) async throws
    func release(_ tag: String, of image: String, _ attribution: Attribution) async throws
    func createToken(_ token: TokenRecord, event: AuditEvent) async throws
    /// Revokes the active token of that name (at the event's time).
    func revokeToken(named name: String, event: AuditEvent) async throws
    /// Appends events that change nothing else (a review noted, say).
    func record(_ events: [AuditEvent]) async throws
    /// Records a built image seen at `image.lastSeen`: a new one with that as its first sight;
    /// one seen before keeps its first sight and takes the new base, reference and source.
    func recordBuiltImage(_ image: BuiltImage) async throws
    /// Keeps a platform manifest's surface report, read again from its layers (`sync --rescan`).
    func recordSurface(_ report: SurfaceReport, of manifest: Digest) async throws
    /// Stores advisories in one transaction: new ids are added, newer `modified` replace.
    func importAdvisories(_ advisories: [AdvisoryWrite]) async throws -> AdvisoryImportOutcome

    // MARK: Jobs

    /// Runs `body` only if no other process on this store is running the job `name`; nil when
    /// one is. On PostgreSQL a session advisory lock, held on a connection of its own for the
    /// run (a replica that dies lets go of it with its connection); on SQLite, one process.
    func exclusively<T: Sendable>(_ name: String, _ body: @Sendable () async throws -> T) async throws -> T?
    /// Starts a run of a periodic job if one is due at `now` (none started within `interval`),
    /// or resumes the latest when it never finished; nil when neither. Call it inside
    /// `exclusively` for that job.
    func claimRun(of job: String, every interval: Duration, now: Date) async throws -> JobRun?
    func finishRun(_ run: JobRun, at: Date) async throws

    // MARK: Reads

    func entries() async throws -> [StoredEntry]
    /// Changes whenever an entry is created or changed: for caches of `entries()`.
    func entriesVersion() async throws -> String
    func entry(named name: String) async throws -> StoredEntry?
    /// Facts about `digest` as an index or single manifest that tags pointed at; nil if no tag ever did.
    func facts(about digest: Digest) async throws -> DigestFacts?
    /// Indexes that list `digest` as a child.
    func parents(of digest: Digest) async throws -> [ParentIndex]
    /// Every run of every tracked tag of the entry, oldest first.
    func history(of image: String) async throws -> [TagObservation]
    /// The records of several entries, read together (a list's page, a matrix): by name,
    /// an entry with no records having empty ones.
    func records(of images: [String]) async throws -> [String: EntryRecords]
    /// The same with each tag's runs collapsed to one per digest (its first first-seen and last
    /// last-seen, no flags): all a tag's lineage, and so its current digest, needs, in a row per
    /// digest however long the history (lists and the matrix).
    func records(of images: [String], collapsingRuns: Bool) async throws -> [String: EntryRecords]
    /// Entries, by name, with a tag run at a digest the entry has not approved (the review
    /// queue's candidates).
    func entriesWithUnapprovedRuns() async throws -> [String]
    /// Runs of every tracked tag, newest first, skipping the first `offset`.
    func recentRuns(limit: Int, offset: Int) async throws -> [TrackedRun]
    /// Approvals recorded for an entry, by digest.
    func approvals(of image: String) async throws -> [Digest: Approval]
    /// Every revoked digest.
    func revocations() async throws -> [Digest: Revocation]
    func packages(of manifest: Digest) async throws -> [InstalledPackage]
    /// Audit events matching `filter`, newest first.
    func auditEvents(_ filter: AuditFilter, limit: Int) async throws -> [AuditEvent]
    /// Audit events after `id`, oldest first (for verifying the chain and delivering webhooks).
    func auditEvents(after id: Int64, limit: Int) async throws -> [AuditEvent]
    /// The hold on each held tag of an entry.
    func holds(of image: String) async throws -> [String: Hold]
    func token(id: String) async throws -> TokenRecord?
    func tokens() async throws -> [TokenRecord]
    /// The last event delivered to a webhook; nil before its first delivery.
    func webhookCursor(_ webhook: String) async throws -> Int64?
    /// Records a delivery attempt (if any) and moves the webhook's cursor to `eventID` (if given):
    /// after a successful delivery, or past an event the webhook does not subscribe to.
    func recordDelivery(_ attempt: DeliveryAttempt?, webhook: String, advanceTo eventID: Int64?) async throws
    /// Every delivery attempt to a webhook, oldest first.
    func deliveries(of webhook: String) async throws -> [DeliveryAttempt]
    /// Starts a webhook's cursor at the newest event if it has none yet.
    func startWebhook(_ webhook: String) async throws -> Int64
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
    /// The changes committed after `version`, oldest first (at most `limit`); fewer than
    /// there were when the store no longer keeps them all (a cache then forgets everything).
    func changes(after version: UInt64, limit: Int) async throws -> [StoreChange]
    /// Affected-package entries of unwithdrawn advisories for these packages in these ecosystems.
    func affected(ecosystems: [String], packages: Set<String>) async throws -> [StoredAffected]
    func advisoryCount() async throws -> Int
    /// The newest `modified` time among the advisories held (how fresh the feeds are), nil when none.
    func newestAdvisoryModified() async throws -> Date?
    /// How many audit events come after `id` (a webhook's backlog past its cursor).
    func auditEventCount(after id: Int64) async throws -> Int
    /// The exceptions recorded for an entry (expired ones included; callers compare the time).
    func exceptions(of image: String) async throws -> [AdvisoryException]
    /// The OS a platform manifest's layers said it is, if they were read.
    func osRelease(of manifest: Digest) async throws -> PackageDatabase.OSRelease?
    /// The last check of a digest's signatures, if sync made one.
    func signatureCheck(of digest: Digest) async throws -> SignatureCheck?
    /// A platform manifest's attack surface, if sync read it.
    func surface(of manifest: Digest) async throws -> SurfaceReport?
    /// Platform manifests whose layer diff_ids begin `diffIDs`' (candidates for an image's base),
    /// with their diff_ids.
    func manifests(withFirstLayer diffID: Digest) async throws -> [Digest: [Digest]]
    /// Built images whose base is one of `bases`, most recently seen first.
    func builtImages(on bases: [Digest]) async throws -> [BuiltImage]
    /// The health basis kept for a digest matched with an entry at `revision` (PlinthCatalog's
    /// JSON), while nothing it was made from has changed since (see migration 0013).
    func healthBasis(of digest: Digest, image: String, revision: Int) async throws -> String?
    /// Keeps digests' health bases, made from what the store held at `generation`, in one
    /// transaction; keeps none when the store has changed since (a change in between may have
    /// dropped what they were made from). Not a change: caches keep what they hold.
    func keepHealthBases(_ bases: [HealthBasisRow], madeAt generation: UInt64) async throws
}

/// A digest's health basis as the store keeps it: PlinthCatalog's JSON, for the digest as
/// matched with an entry at a revision of its document.
public struct HealthBasisRow: Sendable, Hashable {
    public var digest: Digest
    public var image: String
    public var revision: Int
    public var basis: String

    public init(digest: Digest, image: String, revision: Int, basis: String) {
        self.digest = digest
        self.image = image
        self.revision = revision
        self.basis = basis
    }
}

extension CatalogStore {
    public func keepHealthBasis(_ basis: String, of digest: Digest, image: String, revision: Int, madeAt generation: UInt64) async throws {
        try await keepHealthBases([HealthBasisRow(digest: digest, image: image, revision: revision, basis: basis)], madeAt: generation)
    }
}

extension CatalogStore {
    /// The newest audit events.
    public func auditEvents(limit: Int) async throws -> [AuditEvent] {
        try await auditEvents(AuditFilter(), limit: limit)
    }
}
