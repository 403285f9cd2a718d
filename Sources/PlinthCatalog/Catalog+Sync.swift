import Foundation
import Logging
import PlinthCore
import PlinthRegistry
import PlinthStore

/// What one sync pass did to one tracked tag.
public struct TagSyncOutcome: Sendable, Hashable {
    public enum Result: Sendable, Hashable {
        /// The tag still points at the digest it did.
        case unchanged(Digest)
        /// The tag points at a digest new to its history (or was seen for the first time).
        case moved(to: Digest, from: Digest?, approved: Bool, flags: [String])
        /// The registry could not answer; the tag keeps its last good digest.
        case failed(String)
    }

    public var image: String
    public var repository: String
    public var tag: String
    public var result: Result

    public var failed: Bool {
        if case .failed = result { return true }
        return false
    }
}

/// What a scheduled sync did.
public enum ScheduledSync: Sendable {
    /// This process ran the pass (or finished one cut short).
    case ran([TagSyncOutcome], resumed: Bool)
    /// The pass is not due: one started within the interval.
    case notDue
    /// Another process (replica) is running it.
    case elsewhere
}

extension Catalog {
    /// The entries named (all of them when none is), in the catalog's order; an unknown name
    /// is an error that names it.
    static func chosen(_ names: [String], from entries: [CatalogEntry]) throws -> [CatalogEntry] {
        guard !names.isEmpty else { return entries }
        let known = Set(entries.map(\.name))
        if let unknown = names.first(where: { !known.contains($0) }) { throw CatalogError.imageNotFound(unknown) }
        let wanted = Set(names)
        return entries.filter { wanted.contains($0.name) }
    }

    /// The periodic sync pass, once per `interval` across every process on the store: under
    /// the store's `sync` job lock, a pass runs when none started within the interval, and a
    /// pass cut short (its process died) is finished, skipping the tags it already did.
    public func scheduledSync(using client: RegistryClient, every interval: Duration, concurrency: Int = 16, logger: Logger) async throws -> ScheduledSync {
        let outcome = try await store.exclusively("sync") { () -> ScheduledSync in
            guard let run = try await self.store.claimRun(of: "sync", every: interval, now: self.now()) else { return .notDue }
            let outcomes = try await self.sync(using: client, attemptedBefore: run.resumed ? run.startedAt : nil, concurrency: concurrency, logger: logger)
            // Cut short by shutdown: the pass stays unfinished, for the next wake (here or on
            // another replica) to finish.
            try Task.checkCancellation()
            try await self.store.finishRun(run, at: self.now())
            return .ran(outcomes, resumed: run.resumed)
        }
        return outcome ?? .elsewhere
    }

    /// One sync pass (SPEC "Keeping digests current"): resolves every tracked tag of every
    /// entry not retired (or of `image` only), reads new digests' manifests, platform
    /// manifests and config blobs (each verified), records observations, applies each entry's
    /// approval policy, and flags index-only churn and dropped platforms for reviewers. A tag
    /// that fails keeps its last good digest and its error is recorded; the others go on.
    /// `progress` is called once per tag as it finishes. With `attemptedBefore`, only the tags
    /// not attempted since then (finishing a pass another process began).
    public func sync(
        using client: RegistryClient, images: [String] = [], attemptedBefore: Date? = nil, concurrency: Int = 16, logger: Logger,
        progress: @escaping @Sendable (TagSyncOutcome) -> Void = { _ in }
    ) async throws -> [TagSyncOutcome] {
        let entries = try await Self.chosen(images, from: try await store.entries().map(\.entry).filter { $0.status != .retired })
        var work = entries.flatMap { entry in entry.tags.map { (entry, $0) } }
        if let attemptedBefore {
            let records = try await store.records(of: entries.map(\.name))
            var attempted = Set<String>()
            for state in records.values.flatMap(\.syncStates) where state.lastAttemptAt >= attemptedBefore {
                attempted.insert("\(state.repository):\(state.tag)")
            }
            work.removeAll { attempted.contains("\($0.0.repository):\($0.1)") }
        }
        return await withTaskGroup(of: TagSyncOutcome.self) { group in
            var outcomes: [TagSyncOutcome] = []
            var next = 0
            func startNext() {
                guard next < work.count else { return }
                let (entry, tag) = work[next]
                next += 1
                group.addTask { await self.syncTag(entry: entry, tag: tag, client: client, logger: logger) }
            }
            for _ in 0..<max(1, concurrency) { startNext() }
            while let outcome = await group.next() {
                progress(outcome)
                outcomes.append(outcome)
                startNext()
            }
            return outcomes.sorted { ($0.image, $0.tag) < ($1.image, $1.tag) }
        }
    }

    func syncTag(entry: CatalogEntry, tag: String, client: RegistryClient, logger: Logger) async -> TagSyncOutcome {
        var outcome = TagSyncOutcome(image: entry.name, repository: entry.repository, tag: tag, result: .failed(""))
        let moment = now()
        do {
            let reference = try ImageReference(parsing: "\(entry.repository):\(tag)")
            let (digest, mediaType) = try await client.resolve(reference, logger: logger)
            let previous = try await store.currentRun(repository: entry.repository, tag: tag)
            var write = ObservationWrite(
                snapshot: ImageSnapshot(
                    repository: entry.repository, tag: tag, digest: digest, mediaType: mediaType, children: [], seenAt: moment, source: "registry"))
            if previous?.digest == digest {
                outcome.result = .unchanged(digest)
            } else {
                let read = try await readNew(digest: digest, mediaType: mediaType, reference: reference, client: client, logger: logger)
                write.snapshot.children = read.children
                write.snapshot.packages = read.packages
                write.osReleases = read.osReleases
                write.diffIDs = read.diffIDs
                write.surfaces = read.surfaces
                write.documents = read.documents
                write.flags = try await flags(entry: entry, previous: previous?.digest, children: read.children, platforms: read.platforms)
                write.flags += try await surfaceFlags(entry: entry, digest: digest, read: read)
                // Under a signature policy: what the registry holds of the digest's signatures,
                // verified; a required signature that does not verify holds the digest back.
                if let policy = entry.signatures {
                    let (found, notes) = await client.signatures(of: digest, registry: reference.registry, path: reference.path, logger: logger)
                    var check = await SignatureVerifier.check(
                        found, digest: digest, repository: entry.repository, policy: policy, trustedRoot: trustedRoot, at: moment,
                        normalize: { try? ImageReference(parsing: $0).repository })
                    if !check.verified, !notes.isEmpty { check.reason += " (\(notes.joined(separator: "; ")))" }
                    write.signature = check
                    if policy.required, !check.verified { write.flags.append("signature-unverified") }
                }
                // A revoked digest, or an index listing a revoked platform manifest, is never
                // approved automatically (the catalog's rule, as for a curator's approval).
                let recorded = try await revocationsInForce(now: moment)
                let revoked = recorded[digest] != nil || read.children.contains { !$0.isAttestation && recorded[$0.digest] != nil }
                let approve = entry.approval.policy == .automatic && write.flags.isEmpty && !revoked
                if approve {
                    write.approveFor = entry.name
                    write.approval = Approval(
                        by: "sync:automatic-policy", at: moment, reason: "\(entry.repository):\(tag) moved to this digest")
                }
                outcome.result = .moved(to: digest, from: previous?.digest, approved: approve, flags: write.flags)
            }
            // The observation and the sync state of a tag in one transaction.
            try await store.recordSync(write, attempt: SyncAttempt(repository: entry.repository, tag: tag, at: moment, error: nil))
        } catch where error is CancellationError || Task.isCancelled {
            // Shutting down: not the registry's failure, and nothing recorded (the next pass,
            // here or on another replica, does the tag).
            outcome.result = .failed("cancelled")
        } catch {
            let reason = (error as? RegistryError)?.description ?? "\(error)"
            outcome.result = .failed(reason)
            logger.warning("sync of a tag failed", metadata: ["image": "\(entry.name)", "tag": "\(tag)", "error": "\(reason)"])
            _ = try? await store.recordSync(nil, attempt: SyncAttempt(repository: entry.repository, tag: tag, at: moment, error: reason))
        }
        return outcome
    }

    struct NewDigest {
        var children: [IndexChild] = []
        var documents: [RawManifest] = []
        /// Packages and OS read from each platform manifest's layers.
        var packages: [Digest: [InstalledPackage]] = [:]
        var osReleases: [Digest: PackageDatabase.OSRelease] = [:]
        var diffIDs: [Digest: [Digest]] = [:]
        var surfaces: [Digest: SurfaceReport] = [:]
        /// Platforms the digest offers (attestations left out).
        var platforms: [Platform] = []
    }

    /// Reads a digest the tag has not pointed at before: the index or manifest, each platform
    /// manifest and config blob, verified. A digest the store already knows (a tag moving
    /// back) is read from the store.
    func readNew(digest: Digest, mediaType: MediaType, reference: ImageReference, client: RegistryClient, logger: Logger) async throws -> NewDigest {
        var read = NewDigest()
        let known = try await store.children(of: digest)
        if !known.isEmpty {
            read.children = known
            read.platforms = known.filter { !$0.isAttestation }.map(\.platform)
            return read
        }
        let at = { (d: Digest) in ImageReference(registry: reference.registry, path: reference.path, tag: nil, digest: d) }
        let top = try await client.manifest(at(digest), logger: logger)
        read.documents.append(RawManifest(digest: top.digest, mediaType: top.mediaType, bytes: top.bytes))
        switch try ManifestDocument.parse(top.bytes, mediaType: top.mediaType) {
        case .index(let entries):
            read.children = entries.map(\.indexChild)
            for child in read.children where !child.isAttestation {
                let manifest = try await client.manifest(at(child.digest), logger: logger)
                read.documents.append(RawManifest(digest: manifest.digest, mediaType: manifest.mediaType, bytes: manifest.bytes))
                if case .image(let config, let layers) = try ManifestDocument.parse(manifest.bytes, mediaType: manifest.mediaType) {
                    let configBytes = try await client.blob(
                        registry: reference.registry, path: reference.path, digest: config.digest,
                        maxBytes: client.configuration.maxConfigBytes, logger: logger)
                    read.diffIDs[manifest.digest] = ImageConfig.diffIDs(configBytes)
                    try await readContents(
                        of: manifest.digest, layers: layers, config: configBytes, reference: reference, client: client, into: &read, logger: logger)
                }
                read.platforms.append(child.platform)
            }
        case .image(let config, let layers):
            let bytes = try await client.blob(
                registry: reference.registry, path: reference.path, digest: config.digest, maxBytes: client.configuration.maxConfigBytes,
                logger: logger)
            if let platform = ImageConfig.platform(bytes) { read.platforms = [platform] }
            read.diffIDs[top.digest] = ImageConfig.diffIDs(bytes)
            try await readContents(of: top.digest, layers: layers, config: bytes, reference: reference, client: client, into: &read, logger: logger)
        }
        return read
    }

    /// Reads a platform manifest's OS and packages from its layers, when sync reads packages.
    func readContents(
        of manifest: Digest, layers: [Descriptor], config: [UInt8], reference: ImageReference, client: RegistryClient, into read: inout NewDigest,
        logger: Logger
    ) async throws {
        guard client.configuration.readPackages else { return }
        let contents = try await client.contents(registry: reference.registry, path: reference.path, layers: layers, config: config, logger: logger)
        if let surface = contents.surface { read.surfaces[manifest] = surface }
        if !contents.packages.isEmpty { read.packages[manifest] = contents.packages }
        if let os = contents.os { read.osReleases[manifest] = os }
    }

    /// The entry's surface rules that a new digest breaks, one flag per rule and platform
    /// manifest, naming the files; a manifest whose layers were not read cannot be judged, so
    /// it is flagged too (never approved automatically on a guess).
    func surfaceFlags(entry: CatalogEntry, digest: Digest, read: NewDigest) async throws -> [String] {
        guard let rules = entry.surface else { return [] }
        let manifests: [(Digest, String?)] =
            read.children.isEmpty
            ? [(digest, read.platforms.first?.description)] : read.children.filter { !$0.isAttestation }.map { ($0.digest, $0.platform.description) }
        var flags: [String] = []
        for (manifest, platform) in manifests {
            var report = read.surfaces[manifest]
            if report == nil { report = try await store.surface(of: manifest) }
            guard let report else {
                flags.append("surface not read: the surface rules cannot be judged" + (platform.map { " (\($0))" } ?? ""))
                continue
            }
            flags += rules.breaches(of: report).map { SurfaceRules.flag($0, platform: manifests.count > 1 ? platform : nil) }
        }
        return flags
    }

    /// What a reviewer must look at before a new digest is approved.
    func flags(entry: CatalogEntry, previous: Digest?, children: [IndexChild], platforms: [Platform]) async throws -> [String] {
        var flags: [String] = []
        if let previous, !children.isEmpty, case let before = try await store.children(of: previous), !before.isEmpty {
            let old = Set(before.filter { !$0.isAttestation }.map(\.digest))
            let new = Set(children.filter { !$0.isAttestation }.map(\.digest))
            if old == new { flags.append("index-only-churn") }
        }
        for platform in entry.platforms where !platforms.contains(platform) {
            flags.append("dropped-platform:\(platform)")
        }
        return flags
    }
}

/// The fields of an image config blob Plinth reads (image-spec `config.md`).
enum ImageConfig {
    struct Wire: Decodable {
        struct RootFS: Decodable { var diff_ids: [String]? }
        struct Config: Decodable { var Labels: [String: String]? }
        var architecture: String?
        var os: String?
        var variant: String?
        var rootfs: RootFS?
        var config: Config?
    }

    /// `rootfs.diff_ids`: the digests of the uncompressed layers, in order.
    static func diffIDs(_ bytes: [UInt8]) -> [Digest] {
        ((try? JSONDecoder().decode(Wire.self, from: Data(bytes)))?.rootfs?.diff_ids ?? []).compactMap { try? Digest(parsing: $0) }
    }

    static func labels(_ bytes: [UInt8]) -> [String: String] {
        (try? JSONDecoder().decode(Wire.self, from: Data(bytes)))?.config?.Labels ?? [:]
    }

    static func platform(_ bytes: [UInt8]) -> Platform? {
        guard let wire = try? JSONDecoder().decode(Wire.self, from: Data(bytes)), let os = wire.os, let arch = wire.architecture else { return nil }
        return Platform(os: os, architecture: arch, variant: wire.variant)
    }
}
