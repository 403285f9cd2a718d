import Foundation

/// The answer to "may I build on this digest?" (SPEC "Vocabulary", Verdict).
public enum Verdict: String, Sendable, Codable, CaseIterable {
    case approved, superseded, pending, expired, revoked, unknown

    /// Whether a CI gate lets the digest through: approved, or superseded and still in grace.
    public var passes: Bool { self == .approved || self == .superseded }

    /// Lower is more favourable; a digest several tags share gets its most favourable verdict.
    public var rank: Int {
        switch self {
        case .approved: 0
        case .superseded: 1
        case .pending: 2
        case .expired: 3
        case .revoked: 4
        case .unknown: 5
        }
    }
}

/// A curator's (or an automatic policy's) approval of a digest for an entry.
public struct Approval: Hashable, Sendable, Codable {
    public var by: String
    public var at: Date
    public var reason: String?

    public init(by: String, at: Date, reason: String? = nil) {
        self.by = by
        self.at = at
        self.reason = reason
    }
}

/// A curator's withdrawal of a digest, everywhere it appears.
public struct Revocation: Hashable, Sendable, Codable {
    public var by: String
    public var at: Date
    public var reason: String
    /// Set on an index's revocation that comes from one of its platform manifests: the
    /// revoked manifest, which pulling the index on `platform` yields.
    public var manifest: Digest?
    public var platform: Platform?
    /// Set on a platform manifest's revocation that comes from the index listing it.
    public var index: Digest?

    public init(by: String, at: Date, reason: String, manifest: Digest? = nil, platform: Platform? = nil, index: Digest? = nil) {
        self.by = by
        self.at = at
        self.reason = reason
        self.manifest = manifest
        self.platform = platform
        self.index = index
    }
}

/// An index listing a platform manifest: the edge a platform manifest's revocation climbs.
public struct PlatformListing: Hashable, Sendable {
    public var index: Digest
    public var manifest: Digest
    public var platform: Platform

    public init(index: Digest, manifest: Digest, platform: Platform) {
        self.index = index
        self.manifest = manifest
        self.platform = platform
    }
}

/// A curator holding a tag at an earlier approved digest (a rollback): while it stands, that
/// digest is the tag's current one whatever sync sees.
public struct Hold: Hashable, Sendable, Codable {
    public var digest: Digest
    public var by: String
    public var at: Date
    public var reason: String

    public init(digest: Digest, by: String, at: Date, reason: String) {
        self.digest = digest
        self.by = by
        self.at = at
        self.reason = reason
    }
}

/// One digest a tag has pointed at, with what curators decided of it.
public struct TagDigest: Hashable, Sendable {
    public var digest: Digest
    public var firstSeen: Date
    public var lastSeen: Date
    public var approval: Approval?

    public init(digest: Digest, firstSeen: Date, lastSeen: Date, approval: Approval?) {
        self.digest = digest
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.approval = approval
    }
}

/// Everything one tag of one catalog entry has pointed at: the input of the verdict rules.
public struct TagLineage: Hashable, Sendable {
    public var image: String
    public var repository: String
    public var tag: String
    public var graceDays: Int
    public var digests: [TagDigest]
    public var hold: Hold?

    public init(image: String, repository: String, tag: String, graceDays: Int, digests: [TagDigest], hold: Hold? = nil) {
        self.image = image
        self.repository = repository
        self.tag = tag
        self.graceDays = graceDays
        self.digests = digests
        self.hold = hold
    }
}

/// The verdict of a digest under one entry and tag.
public struct TagVerdict: Hashable, Sendable {
    public var image: String
    public var repository: String
    public var tag: String
    public var verdict: Verdict
    /// The digest this tag's users should be on now, if there is one.
    public var currentDigest: Digest?
    public var supersededAt: Date?
    public var graceUntil: Date?
    public var approval: Approval?
    public var firstSeen: Date
    public var lastSeen: Date
}

/// The verdict of a digest across every entry and tag that has seen it.
public struct DigestVerdict: Hashable, Sendable {
    public var digest: Digest
    public var verdict: Verdict
    public var currentDigest: Digest?
    public var graceUntil: Date?
    public var revocation: Revocation?
    /// One per entry and tag that has seen the digest, most favourable first.
    public var standings: [TagVerdict]

    /// The verdict of a digest Plinth has never seen.
    public static func unknown(_ digest: Digest) -> DigestVerdict {
        DigestVerdict(digest: digest, verdict: .unknown, currentDigest: nil, graceUntil: nil, revocation: nil, standings: [])
    }

    /// The moment this verdict may change by the clock alone (a grace period ending).
    public var changesAt: Date? {
        standings.compactMap { $0.verdict == .superseded ? $0.graceUntil : nil }.min()
    }
}

/// The verdict rules of SPEC "Vocabulary", as pure functions of what was seen and decided.
public enum VerdictRules {
    /// The revocations that hold, from those curators recorded: each revoked digest, and
    /// every index that lists a revoked platform manifest (pulling that index on the
    /// platform yields the revoked manifest), naming the manifest and its platform. An
    /// index's own revocation wins over one it inherits; of several inherited ones, the
    /// earliest. A revoked index's platform manifests follow their index (see `evaluate`'s
    /// callers), so revoking either end withdraws both.
    ///
    /// - Parameter listings: the indexes listing each revoked digest (attestations left out).
    public static func effectiveRevocations(_ recorded: [Digest: Revocation], listings: [PlatformListing]) -> [Digest: Revocation] {
        var result = recorded
        for listing in listings.sorted(by: { ($0.index.description, $0.platform.description) < ($1.index.description, $1.platform.description) }) {
            guard result[listing.index] == nil || result[listing.index]?.manifest != nil, var revocation = recorded[listing.manifest],
                !listing.platform.isAttestation
            else { continue }
            if let existing = result[listing.index], existing.at <= revocation.at { continue }
            revocation.manifest = listing.manifest
            revocation.platform = listing.platform
            result[listing.index] = revocation
        }
        return result
    }

    /// Judges `digest` against every tag lineage that contains it. `revocations` holds at
    /// least every revoked digest of those lineages (a revoked digest is never current).
    ///
    /// - A revoked digest is `revoked` wherever it appears.
    /// - Within a tag, the current approved digest is the newest (by first sight) approved,
    ///   unrevoked one: it is `approved`.
    /// - An approved digest that a newer approved one followed is `superseded` from the
    ///   moment that successor was approved until `graceDays` later, then `expired`.
    /// - A digest seen but never approved is `pending` (manual policy: the tag's current
    ///   approved digest stays `approved` meanwhile).
    /// - A hold makes its (approved, unrevoked) digest the tag's current one; approved digests
    ///   newer than it are superseded from the moment of the hold.
    public static func evaluate(
        _ digest: Digest, lineages: [TagLineage], revocations: [Digest: Revocation], now: Date
    ) -> DigestVerdict {
        let revocation = revocations[digest]
        let revoked = Set(revocations.keys)
        var standings: [TagVerdict] = []
        for lineage in lineages {
            guard let seen = lineage.digests.first(where: { $0.digest == digest }) else { continue }
            standings.append(judge(seen, in: lineage, revoked: revoked, now: now))
        }
        guard !standings.isEmpty else {
            var answer = DigestVerdict.unknown(digest)
            if let revocation { answer.verdict = .revoked; answer.revocation = revocation }
            return answer
        }
        standings.sort { ($0.verdict.rank, $0.image, $0.tag) < ($1.verdict.rank, $1.image, $1.tag) }
        let best = revocation == nil ? standings[0] : standings.first { $0.verdict == .revoked } ?? standings[0]
        return DigestVerdict(
            digest: digest, verdict: best.verdict, currentDigest: best.currentDigest,
            graceUntil: best.verdict == .superseded || best.verdict == .expired ? best.graceUntil : nil,
            revocation: revocation, standings: standings)
    }

    static func judge(_ seen: TagDigest, in lineage: TagLineage, revoked: Set<Digest>, now: Date) -> TagVerdict {
        // Approved, unrevoked digests, oldest first: the last is the tag's current one.
        let approved = lineage.digests
            .filter { $0.approval != nil && !revoked.contains($0.digest) }
            .sorted { order($0) < order($1) }
        let held = lineage.hold.flatMap { hold in approved.first { $0.digest == hold.digest } }
        let current = held?.digest ?? approved.last?.digest
        var answer = TagVerdict(
            image: lineage.image, repository: lineage.repository, tag: lineage.tag, verdict: .pending,
            currentDigest: current, supersededAt: nil, graceUntil: nil, approval: seen.approval,
            firstSeen: seen.firstSeen, lastSeen: seen.lastSeen)
        if revoked.contains(seen.digest) {
            answer.verdict = .revoked
        } else if seen.approval == nil {
            answer.verdict = .pending
        } else if seen.digest == current {
            answer.verdict = .approved
        } else {
            // Superseded by the first approved digest that came after it, or, when newer than
            // the digest a curator holds the tag at, by the hold.
            let successors = approved.filter { order($0) > order(seen) }
            let supersededAt: Date =
                if let held, let hold = lineage.hold, order(seen) > order(held) { hold.at }
                else { successors.compactMap { $0.approval?.at }.min() ?? now }
            let graceUntil = supersededAt.addingTimeInterval(TimeInterval(lineage.graceDays) * 86_400)
            answer.supersededAt = supersededAt
            answer.graceUntil = graceUntil
            answer.verdict = now < graceUntil ? .superseded : .expired
        }
        return answer
    }

    private static func order(_ d: TagDigest) -> (Date, Date, String) {
        (d.firstSeen, d.approval?.at ?? .distantPast, d.digest.description)
    }
}
