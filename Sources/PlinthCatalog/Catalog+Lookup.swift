import Foundation
import PlinthCore
import PlinthStore

/// The answer to "is this digest an approved, current base?"
public struct DigestAnswer: Sendable, Hashable {
    /// The digest asked about.
    public var digest: Digest
    public var verdict: DigestVerdict
    /// `index` or `manifest`; nil when unknown.
    public var kind: Kind?
    public var mediaType: MediaType?
    /// For a platform manifest: its platform, and the index that lists it.
    public var platform: Platform?
    public var index: Digest?
    /// For an index: its platforms (attestations left out).
    public var platforms: [IndexChild]
    public var firstSeen: Date?
    public var lastSeen: Date?
    /// The health grade and advisory counts; nil for an unknown digest.
    public var health: DigestHealth?
    /// What sync found and verified of its signatures (a platform manifest: its index's).
    public var signature: SignatureCheck?

    public enum Kind: String, Sendable {
        case index, manifest
    }

    /// For a platform manifest, the current digest is the index's current digest: the
    /// reference to pin stays the index, which resolves to this platform.
    public var currentDigest: Digest? { verdict.currentDigest }
}

extension Catalog {
    /// The verdict of a digest, index or platform manifest alike; a platform manifest
    /// follows the index that lists it (the most favourable one, if several do).
    public func lookup(_ digest: Digest) async throws -> DigestAnswer {
        let moment = now()
        let generation = try await currentGeneration()
        if let cached = cache.answer(for: digest, generation: generation, now: moment) {
            cache.hits.increment()
            return cached
        }
        // One computation per digest and generation: concurrent misses wait for the first.
        let key = VerdictCache.ComputingKey(digest: digest, generation: generation)
        let (task, started) = cache.computing.withLock { running -> (Task<DigestAnswer, any Error>, Bool) in
            if let task = running[key] { return (task, false) }
            let task = Task { try await self.compute(digest, generation: generation, now: moment) }
            running[key] = task
            return (task, true)
        }
        if started { cache.misses.increment() } else { cache.hits.increment() }
        defer { if started { _ = cache.computing.withLock { $0.removeValue(forKey: key) } } }
        return try await task.value
    }

    func compute(_ digest: Digest, generation: UInt64, now moment: Date) async throws -> DigestAnswer {
        cache.computations.add(1, ordering: .relaxed)
        var considered = VerdictCache.Dependencies()
        var answer = try await computeAnswer(digest, now: moment, considered: &considered)
        if answer.verdict.verdict != .unknown {
            answer.health = try await health(of: answer, generation: generation, now: moment)
            answer.signature = try await store.signatureCheck(of: answer.index ?? answer.digest)
        }
        cache.store(answer, for: digest, generation: generation, now: moment, considered: considered)
        return answer
    }

    /// The store's generation, with the cache's change log read through it, so that values
    /// kept before it are judged by what the changes since touched.
    func currentGeneration() async throws -> UInt64 {
        let generation = await store.generation()
        try await readChanges(through: generation)
        return generation
    }

    /// Brings the cache's change log up to `generation`: one read of the store's change log
    /// after a change, nothing otherwise. Requests that find the log behind at once share
    /// one read (the first starts it, the others wait for it) instead of each asking the store.
    func readChanges(through generation: UInt64) async throws {
        guard let through = cache.loggedThrough else {
            cache.record([], through: generation)
            return
        }
        guard through < generation else { return }
        try await cache.catchUp(to: generation) { [store] in
            let changes = try await store.changes(after: through, limit: VerdictCache.ChangeLog.kept)
            return changes.filter { $0.version <= generation }
        }
    }

    /// The answer, and in `considered` every index and entry it was judged against (a
    /// platform manifest is judged through every index that lists it, the best one kept):
    /// a change to any of them may change the answer.
    func computeAnswer(_ digest: Digest, now moment: Date, considered: inout VerdictCache.Dependencies) async throws -> DigestAnswer {
        let revocations = try await revocationsInForce(now: moment)
        if let facts = try await store.facts(about: digest), !facts.lineages.isEmpty {
            return answer(for: digest, facts: facts, revocations: revocations, now: moment)
        }
        var best: DigestAnswer?
        for parent in try await store.parents(of: digest) where !parent.child.isAttestation {
            considered.digests.insert(parent.index)
            guard let facts = try await store.facts(about: parent.index), !facts.lineages.isEmpty else { continue }
            var candidate = answer(for: parent.index, facts: facts, revocations: revocations, now: moment)
            considered.entries.formUnion(candidate.verdict.standings.map(\.image))
            if let revoked = candidate.verdict.revocation?.manifest { considered.digests.insert(revoked) }
            candidate.digest = digest
            candidate.verdict.digest = digest
            // A platform manifest follows its index; its own revocation, if it has one, is the
            // reason (the index's names this manifest then).
            if let own = revocations[digest] {
                candidate.verdict.revocation = own
                candidate.verdict.verdict = .revoked
                candidate.verdict.graceUntil = nil
                for i in candidate.verdict.standings.indices { candidate.verdict.standings[i].verdict = .revoked }
            } else if var inherited = candidate.verdict.revocation {
                // Through the index: revoked itself, or listing another revoked platform manifest.
                inherited.index = parent.index
                candidate.verdict.revocation = inherited
            }
            candidate.kind = .manifest
            candidate.mediaType = parent.child.mediaType
            candidate.platform = parent.child.platform
            candidate.index = parent.index
            candidate.platforms = []
            if best == nil || candidate.verdict.verdict.rank < best!.verdict.verdict.rank { best = candidate }
        }
        if let best { return best }
        var unknown = DigestAnswer(
            digest: digest, verdict: .unknown(digest), kind: nil,
            mediaType: nil, platform: nil, index: nil, platforms: [], firstSeen: nil, lastSeen: nil)
        if let revocation = revocations[digest] {
            unknown.verdict.verdict = .revoked
            unknown.verdict.revocation = revocation
        }
        return unknown
    }

    func answer(for digest: Digest, facts: DigestFacts, revocations: [Digest: Revocation], now moment: Date) -> DigestAnswer {
        let verdict = VerdictRules.evaluate(digest, lineages: facts.lineages, revocations: revocations, now: moment)
        return DigestAnswer(
            digest: digest, verdict: verdict, kind: facts.mediaType?.isIndex == true ? .index : .manifest, mediaType: facts.mediaType,
            platform: nil, index: nil, platforms: facts.children.filter { !$0.isAttestation }, firstSeen: facts.firstSeen, lastSeen: facts.lastSeen)
    }

    /// The revocations that hold: those curators recorded, and each index that lists a
    /// revoked platform manifest (`VerdictRules.effectiveRevocations`). Revocations are few;
    /// the map is kept until a digest's facts change.
    func revocationsInForce(now moment: Date) async throws -> [Digest: Revocation] {
        try await cache.revocations.value(generation: try await currentGeneration(), dependencies: .init(everyDigest: true)) {
            let recorded = try await store.revocations()
            var listings: [PlatformListing] = []
            for digest in recorded.keys {
                for parent in try await store.parents(of: digest) where !parent.child.isAttestation {
                    listings.append(PlatformListing(index: parent.index, manifest: digest, platform: parent.child.platform))
                }
            }
            return VerdictRules.effectiveRevocations(recorded, listings: listings)
        }
    }
}

extension Catalog {
    /// The current approved digest of a tracked tag, if an entry tracks it and one is approved.
    public func currentDigest(of reference: ImageReference) async throws -> Digest? {
        try await tracking(reference)?.current
    }

    /// The entry that tracks a reference's tag (its digest, if any, ignored), and that tag's
    /// current approved digest, if it has one.
    public func tracking(_ reference: ImageReference) async throws -> (entry: CatalogEntry, current: Digest?)? {
        guard let tag = reference.tag,
            let entry = try await entries().first(where: { $0.entry.repository == reference.repository && $0.entry.tags.contains(tag) })?.entry
        else { return nil }
        return (entry, try await history(of: entry).first { $0.tag == tag }?.currentDigest)
    }
}
