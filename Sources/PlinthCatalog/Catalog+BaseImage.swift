import Foundation
import Logging
import PlinthCore
import PlinthRegistry
import PlinthStore

/// What Plinth finds of a built image's base.
public struct BaseIdentification: Sendable, Hashable {
    public var image: String
    /// The application image's platform manifest that was examined.
    public var manifest: Digest
    /// The index the reference named, when it named one.
    public var index: Digest?
    /// The base's platform manifest found by layer ancestry (exact), if any.
    public var base: Digest?
    /// What the image's `org.opencontainers.image.base.*` annotations or labels claim.
    public var claimedDigest: Digest?
    public var claimedName: String?
    /// The base's verdict (a platform manifest follows its index), when it was found.
    public var answer: DigestAnswer?
    /// The base's tag has moved on: rebuild on `answer.currentDigest`.
    public var rebuildNeeded: Bool
    /// What was found, for a person; whether it passes is `Catalog.judgeBuiltImage`'s to say.
    public var reason: String
}

extension Catalog {
    /// Reads a built image from its registry and finds its base: the cataloged platform
    /// manifest whose layer diff_ids the image's config begins with (the longest such), which
    /// is exact; the base annotations or labels, when present, are checked against it.
    public func identifyBase(of reference: ImageReference, platform: Platform, client: RegistryClient, logger: Logger) async throws -> BaseIdentification {
        var top = try await client.manifest(reference, logger: logger)
        var annotations = Self.annotations(top.bytes)
        var index: Digest?
        if top.mediaType.isIndex, case .index(let entries) = try ManifestDocument.parse(top.bytes, mediaType: top.mediaType) {
            guard let child = entries.map(\.indexChild).first(where: { !$0.isAttestation && $0.platform == platform }) else {
                throw CatalogError.platformNotFound(platform.description)
            }
            index = top.digest
            top = try await client.manifest(ImageReference(registry: reference.registry, path: reference.path, tag: nil, digest: child.digest), logger: logger)
            annotations.merge(Self.annotations(top.bytes)) { _, new in new }
        }
        guard case .image(let config, _) = try ManifestDocument.parse(top.bytes, mediaType: top.mediaType) else {
            throw CatalogError.platformNotFound(platform.description)
        }
        let configBytes = try await client.blob(
            registry: reference.registry, path: reference.path, digest: config.digest, maxBytes: client.configuration.maxConfigBytes, logger: logger)
        let labels = ImageConfig.labels(configBytes)
        let claimed = (annotations["org.opencontainers.image.base.digest"] ?? labels["org.opencontainers.image.base.digest"]).flatMap { try? Digest(parsing: $0) }
        let claimedName = annotations["org.opencontainers.image.base.name"] ?? labels["org.opencontainers.image.base.name"]
        let diffIDs = ImageConfig.diffIDs(configBytes)

        var result = BaseIdentification(
            image: reference.description, manifest: top.digest, index: index, base: nil, claimedDigest: claimed, claimedName: claimedName, answer: nil,
            rebuildNeeded: false, reason: "")
        // Layer ancestry: the longest cataloged layer list the image's begins with.
        if let first = diffIDs.first {
            let candidates = try await store.manifests(withFirstLayer: first).filter { diffIDs.starts(with: $0.value) && $0.value.count < diffIDs.count }
            result.base = candidates.max { ($0.value.count, $1.key.description) < ($1.value.count, $0.key.description) }?.key
        }
        guard let base = result.base else {
            result.reason = "no cataloged base: its layers begin with none that Plinth has read" + (claimed.map { " (it claims \($0))" } ?? "")
            if let claimed {
                let answer = try await lookup(claimed)
                if answer.verdict.verdict != .unknown { result.reason = "its layers match no cataloged base, though it claims \(claimed) (\(answer.verdict.verdict.rawValue))" }
            }
            return result
        }
        let answer = try await lookup(base)
        result.answer = answer
        let baseIndex = answer.index ?? base
        result.rebuildNeeded = answer.currentDigest.map { $0 != baseIndex } ?? false
        var reason = "built on \(answer.verdict.standings.first.map { "\($0.image) (\($0.repository):\($0.tag))" } ?? base.description): \(answer.verdict.verdict.rawValue)"
        if result.rebuildNeeded, let current = answer.currentDigest { reason += "; rebuild needed: the tag now points at \(current)" }
        if let claimed, claimed != base, claimed != baseIndex { reason += "; note: it claims \(claimed), but its layers say \(base)" }
        result.reason = reason
        return result
    }

    static func annotations(_ bytes: [UInt8]) -> [String: String] {
        struct Wire: Decodable { var annotations: [String: String]? }
        return (try? JSONDecoder().decode(Wire.self, from: Data(bytes)))?.annotations ?? [:]
    }
}
