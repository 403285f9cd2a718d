import Foundation
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
