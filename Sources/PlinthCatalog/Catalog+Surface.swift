import Foundation
import Logging
import PlinthRegistry
import PlinthCore
import PlinthStore

/// The attack surface of a digest: each platform manifest's, as sync read it from its layers.
public struct DigestSurface: Sendable, Hashable {
    public struct PlatformSurface: Sendable, Hashable {
        public var platform: Platform?
        public var manifest: Digest
        /// Absent when its layers were not read (seeded facts, or read before Plinth kept it).
        public var report: SurfaceReport?
    }

    public var digest: Digest
    public var platforms: [PlatformSurface]
}

extension Catalog {
    /// Each platform manifest's surface report: an index's platforms, or the manifest itself.
    public func surface(of digest: Digest) async throws -> DigestSurface {
        let answer = try await lookup(digest)
        guard answer.verdict.verdict != .unknown else { throw CatalogError.digestNotFound(digest) }
        let manifests: [(Platform?, Digest)] = answer.kind == .index ? answer.platforms.map { ($0.platform, $0.digest) } : [(answer.platform, digest)]
        var platforms: [DigestSurface.PlatformSurface] = []
        for (platform, manifest) in manifests {
            platforms.append(.init(platform: platform, manifest: manifest, report: try await store.surface(of: manifest)))
        }
        return DigestSurface(digest: digest, platforms: platforms)
    }
}

/// What `sync --rescan` did to one platform manifest.
public struct RescanOutcome: Sendable, Hashable {
    public enum Result: Sendable, Hashable {
        case read(SurfaceReport)
        case failed(String)
    }

    public var image: String
    public var manifest: Digest
    public var platform: Platform?
    public var result: Result
}

struct Unreadable: Error, CustomStringConvertible {
    var description: String
}

extension Catalog {
    /// Reads again, from its registry, the layers of every platform manifest of every digest a
    /// tracked tag has pointed at (of `image` only, when given) that has no surface report (a
    /// seeded snapshot, or a digest synced before Plinth kept one), and keeps the report. A
    /// manifest that cannot be read is reported and the others go on. `progress` is called as
    /// each one finishes.
    public func rescanSurfaces(
        using client: RegistryClient, images: [String] = [], logger: Logger, progress: @escaping @Sendable (RescanOutcome) -> Void = { _ in }
    ) async throws -> [RescanOutcome] {
        let entries = try await Self.chosen(images, from: try await store.entries().map(\.entry).filter { $0.status != .retired })
        var outcomes: [RescanOutcome] = []
        var done: Set<Digest> = []
        for entry in entries {
            let digests = Set(try await store.history(of: entry.name).map(\.digest))
            for digest in digests.sorted(by: { $0.description < $1.description }) {
                let children = try await store.children(of: digest).filter { !$0.isAttestation }
                let manifests: [(Digest, Platform?)] = children.isEmpty ? [(digest, nil)] : children.map { ($0.digest, $0.platform) }
                for (manifest, platform) in manifests where !done.contains(manifest) {
                    done.insert(manifest)
                    guard try await store.surface(of: manifest) == nil else { continue }
                    var outcome = RescanOutcome(image: entry.name, manifest: manifest, platform: platform, result: .failed(""))
                    do {
                        let report = try await readSurface(of: manifest, repository: entry.repository, client: client, logger: logger)
                        try await store.recordSurface(report, of: manifest)
                        outcome.result = .read(report)
                    } catch {
                        outcome.result = .failed((error as? RegistryError)?.description ?? "\(error)")
                    }
                    progress(outcome)
                    outcomes.append(outcome)
                }
            }
        }
        return outcomes
    }

    /// A platform manifest's surface, from its layers and config in the registry (each verified).
    func readSurface(of manifest: Digest, repository: String, client: RegistryClient, logger: Logger) async throws -> SurfaceReport {
        let base = try ImageReference(parsing: repository)
        let reference = ImageReference(registry: base.registry, path: base.path, tag: nil, digest: manifest)
        let document = try await client.manifest(reference, logger: logger)
        guard case .image(let config, let layers) = try ManifestDocument.parse(document.bytes, mediaType: document.mediaType) else {
            throw Unreadable(description: "\(manifest) is not a platform manifest")
        }
        let configBytes = try await client.blob(
            registry: base.registry, path: base.path, digest: config.digest, maxBytes: client.configuration.maxConfigBytes, logger: logger)
        let contents = try await client.contents(registry: base.registry, path: base.path, layers: layers, config: configBytes, logger: logger)
        guard let report = contents.surface else { throw Unreadable(description: "the layers of \(manifest) gave no surface report") }
        return report
    }
}
