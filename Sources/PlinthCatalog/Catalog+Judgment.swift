import Foundation
import Logging
import PlinthCore
import PlinthRegistry
import PlinthStore

/// What the gate asks beyond "approved, or superseded and still in grace".
public struct GatePolicy: Sendable, Hashable {
    /// Accept a reference without a digest when an approved entry tracks its tag.
    public var allowUnpinnedTracked = false
    /// Fail a digest whose health grade is worse than this.
    public var minimumGrade: HealthGrade?
    /// Fail a digest whose entry is deprecated.
    public var failOnDeprecated = false
    /// Fail a built image whose base's tag has moved on (a rebuild is needed), even while the
    /// old base is in its grace period.
    public var failOnRebuildNeeded = false

    public init(allowUnpinnedTracked: Bool = false, minimumGrade: HealthGrade? = nil, failOnDeprecated: Bool = false, failOnRebuildNeeded: Bool = false) {
        self.allowUnpinnedTracked = allowUnpinnedTracked
        self.minimumGrade = minimumGrade
        self.failOnDeprecated = failOnDeprecated
        self.failOnRebuildNeeded = failOnRebuildNeeded
    }
}

/// The answer to "does this pass?" for one input: a digest, a reference, a Dockerfile base
/// or a built image. The CLI (`check`, `check --image`, `pin`) and the API (`POST /v1/check`)
/// all print these fields, from `Catalog.judge`.
public struct Judgment: Sendable, Hashable {
    public enum Outcome: Sendable, Hashable, CustomStringConvertible {
        case verdict(Verdict)
        /// A reference with no digest: nothing to judge; it fails unless the policy accepts a
        /// tracked tag.
        case unpinned
        /// Neither a digest nor a reference; the reason says what is wrong with it.
        case invalid

        public var description: String {
            switch self {
            case .verdict(let verdict): verdict.rawValue
            case .unpinned: "unpinned"
            case .invalid: "invalid"
            }
        }
    }

    /// The text as written.
    public var input: String
    /// The input read as Docker reads it (`debian` is `docker.io/library/debian:latest`);
    /// nil for a bare digest or invalid input.
    public var reference: ImageReference?
    /// The digest judged: the one given, or for a built image the base found by its layers.
    public var digest: Digest?
    public var outcome: Outcome
    /// The digest to pin or move to: the tracked tag's current approved digest.
    public var currentDigest: Digest?
    public var reason: String
    public var passes: Bool
    /// For a built image: its base's tag now points at another approved digest.
    public var rebuildNeeded: Bool?
    /// The entry tracking the reference's tag, when one does.
    public var trackedBy: String?
    /// For a built image: its platform manifest that was examined.
    public var image: Digest?
}

extension Judgment {
    /// A judgment as made elsewhere (a Plinth server's answer, read back).
    public init(
        answering input: String, reference: ImageReference?, digest: Digest?, outcome: Outcome, currentDigest: Digest?, reason: String,
        passes: Bool, rebuildNeeded: Bool?, trackedBy: String?, image: Digest?
    ) {
        self.input = input
        self.reference = reference
        self.digest = digest
        self.outcome = outcome
        self.currentDigest = currentDigest
        self.reason = reason
        self.passes = passes
        self.rebuildNeeded = rebuildNeeded
        self.trackedBy = trackedBy
        self.image = image
    }
}

extension Catalog {
    /// Judges a digest, a reference or a Dockerfile base, as written.
    public func judge(_ input: String, policy: GatePolicy = .init()) async throws -> Judgment {
        let parsed: DigestOrReference
        do { parsed = try DigestOrReference(parsing: input) } catch {
            return Judgment(input: input, reference: nil, digest: nil, outcome: .invalid, currentDigest: nil, reason: error.description, passes: false)
        }
        switch parsed {
        case .digest(let digest): return try await decide(input: input, reference: nil, digest: digest, policy: policy)
        case .reference(let reference): return try await decide(input: input, reference: reference, digest: reference.digest, policy: policy)
        }
    }

    /// Judges each input in turn.
    public func judge(_ inputs: [String], policy: GatePolicy = .init()) async throws -> [Judgment] {
        var results: [Judgment] = []
        for input in inputs { results.append(try await judge(input, policy: policy)) }
        return results
    }

    /// Judges a built image by its base, found by layer ancestry (`identifyBase`). Registry
    /// failures are the judgment's reason; the image fails. An image that is itself cataloged
    /// (a pod running a base as it is) is judged by its own digest. An image found to be built
    /// on a cataloged base is recorded as that base's dependent (lineage), with `source`.
    public func judgeBuiltImage(
        _ input: String, platform: Platform, client: RegistryClient, policy: GatePolicy = .init(), source: BuiltImage.Source = .check,
        logger: Logger
    ) async throws -> Judgment {
        let reference: ImageReference
        do { reference = try ImageReference(parsing: input) } catch {
            return Judgment(input: input, reference: nil, digest: nil, outcome: .invalid, currentDigest: nil, reason: error.description, passes: false)
        }
        let base: BaseIdentification
        do { base = try await identifyBase(of: reference, platform: platform, client: client, logger: logger) } catch {
            // The registry, or what it served: the image cannot be judged, so it fails.
            return Judgment(input: input, reference: reference, digest: nil, outcome: .verdict(.unknown), currentDigest: nil, reason: "\(error)", passes: false)
        }
        guard let found = base.base else {
            for own in [base.index, base.manifest].compactMap({ $0 }) where try await lookup(own).verdict.verdict != .unknown {
                var judgment = try await decide(input: input, reference: reference, digest: own, policy: policy)
                judgment.image = base.manifest
                return judgment
            }
            var judgment = try await decide(input: input, reference: reference, digest: nil, policy: policy, base: base)
            judgment.image = base.manifest
            return judgment
        }
        let seen = now()
        try await store.recordBuiltImage(
            BuiltImage(
                repository: "\(reference.registry)/\(reference.path)", manifest: base.manifest, base: found, reference: reference.description, source: source,
                firstSeen: seen, lastSeen: seen))
        var judgment = try await decide(input: input, reference: reference, digest: nil, policy: policy, base: base)
        judgment.image = base.manifest
        return judgment
    }

    /// The built images recorded on a base: on the digest itself and, for an index, on each of
    /// its platform manifests; most recently seen first.
    public func dependents(of digest: Digest) async throws -> [BuiltImage] {
        let children = try await store.children(of: digest).map(\.digest)
        return try await store.builtImages(on: [digest] + children)
    }

    /// The one judgment: whether an input passes the gate, and why. Every path that asks
    /// "does this pass?" comes here.
    ///
    /// - A digest (given, pinned in a reference, or a built image's base) passes when its
    ///   verdict is `approved`, or `superseded` within grace; then the policy's grade,
    ///   deprecation and rebuild rules apply.
    /// - A reference without a digest is `unpinned`: it passes only when the policy accepts a
    ///   tracked tag and the approved entry tracking it has a current digest.
    /// - The digest to move to is the reference's tracked tag's current digest when an entry
    ///   tracks it, else the digest's own.
    func decide(input: String, reference: ImageReference?, digest: Digest?, policy: GatePolicy, base: BaseIdentification? = nil) async throws -> Judgment {
        // A built image's tag is the application's own, not a base's.
        let tracked = base == nil ? try await reference.asyncMap { try await tracking($0) } : nil
        var judgment = Judgment(
            input: input, reference: reference, digest: digest ?? base?.base, outcome: .verdict(.unknown), currentDigest: tracked?.current, reason: "",
            passes: false, rebuildNeeded: base?.rebuildNeeded, trackedBy: tracked?.entry.name)
        guard let judged = judgment.digest else {
            if let base {
                judgment.reason = base.reason
                return judgment
            }
            let written = reference.map { "\($0.repository)\($0.tag.map { ":" + $0 } ?? "")" } ?? input
            judgment.outcome = .unpinned
            if let tracked, let current = tracked.current {
                judgment.passes = policy.allowUnpinnedTracked && tracked.entry.status == .approved
                judgment.reason = "not pinned by digest; \(tracked.entry.name) tracks this tag: pin \(written)@\(current)"
                if judgment.passes { try await applyPolicy(policy, to: &judgment, answer: try await lookup(current)) }
            } else if let tracked {
                judgment.reason = "not pinned by digest; \(tracked.entry.name) tracks this tag but has no approved digest for it yet"
            } else {
                judgment.reason = "not pinned by digest, and no catalog entry tracks \(written)"
            }
            return judgment
        }
        let answer = try await lookup(judged)
        judgment.outcome = .verdict(answer.verdict.verdict)
        if tracked == nil { judgment.currentDigest = answer.currentDigest }
        judgment.passes = answer.verdict.verdict.passes
        if let base {
            judgment.reason = base.reason
        } else {
            judgment.reason = Self.reason(answer)
            if answer.verdict.verdict == .unknown, let tracked {
                judgment.reason += tracked.current.map { "; \(tracked.entry.name) tracks this tag: pin @\($0)" } ?? ""
            } else if let reference, let owner = answer.verdict.standings.first,
                !answer.verdict.standings.contains(where: { $0.repository == reference.repository })
            {
                judgment.reason += "; note: the digest belongs to \(owner.repository), not \(reference.repository)"
            }
        }
        if judgment.passes { try await applyPolicy(policy, to: &judgment, answer: answer) }
        return judgment
    }

    /// The policy's rules beyond the verdict, on a judgment that passed so far.
    private func applyPolicy(_ policy: GatePolicy, to judgment: inout Judgment, answer: DigestAnswer) async throws {
        if let minimum = policy.minimumGrade, let health = answer.health {
            if let grade = health.grade, grade > minimum {
                judgment.passes = false
                judgment.reason += "; health grade \(grade.rawValue) is below the required \(minimum.rawValue)"
            } else if health.grade == nil {
                judgment.passes = false
                judgment.reason += "; no health grade (\(health.note ?? "advisories are not matched")), and \(minimum.rawValue) is required"
            }
        }
        if policy.failOnDeprecated, let image = answer.verdict.standings.first?.image,
            let entry = try await store.entry(named: image)?.entry, entry.status == .deprecated
        {
            judgment.passes = false
            judgment.reason += "; \(image) is deprecated" + (entry.successor.map { ", use \($0)" } ?? "")
        }
        if policy.failOnRebuildNeeded, judgment.rebuildNeeded == true {
            judgment.passes = false
            judgment.reason += "; the policy fails an image whose base has moved on"
        }
    }

    /// The reason of a digest Plinth has never seen.
    public static let unknownReason = "unknown: Plinth has never seen this digest"

    /// One sentence a person can act on.
    public static func reason(_ answer: DigestAnswer) -> String {
        let verdict = answer.verdict
        let place = verdict.standings.first.map { "\($0.image) (\($0.repository):\($0.tag))" } ?? ""
        switch verdict.verdict {
        case .approved: return "approved: current digest of \(place)"
        case .superseded:
            return "superseded in \(place); accepted until \(verdict.graceUntil.map(RFC3339.format) ?? "?"), move to \(verdict.currentDigest?.description ?? "the current digest")"
        case .expired:
            return "expired: superseded in \(place) and past its grace period; move to \(verdict.currentDigest?.description ?? "the current digest")"
        case .pending: return "pending: seen in \(place), waiting for a curator's approval"
        case .revoked:
            let by = "by \(verdict.revocation?.by ?? "a curator"): \(verdict.revocation?.reason ?? "no reason given")"
            if let revocation = verdict.revocation, let manifest = revocation.manifest, let platform = revocation.platform {
                if let index = revocation.index { return "revoked: its index \(index) lists the revoked \(platform) manifest \(manifest), revoked \(by)" }
                return "revoked: its \(platform) manifest \(manifest) was revoked \(by)"
            }
            if let index = verdict.revocation?.index { return "revoked: its index \(index) was revoked \(by)" }
            return "revoked \(by)"
        case .unknown: return unknownReason
        }
    }
}
