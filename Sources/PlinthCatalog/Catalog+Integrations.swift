import Foundation
import Logging
import PlinthCore
import PlinthRegistry
import PlinthStore

/// One entry as Renovate's custom datasource reads it: each tracked tag's current approved
/// digest, with the time Plinth first saw that digest (so that `minimumReleaseAge` works for
/// every registry, not only Docker Hub, whose API alone gives Renovate such times).
public struct RenovateReleases: Sendable, Hashable {
    public struct Release: Sendable, Hashable {
        public var version: String
        public var digest: Digest
        public var releaseTimestamp: Date?
        public var isDeprecated: Bool
    }

    public var homepage: String?
    /// The entry's `source`.
    public var sourceUrl: String?
    public var releases: [Release]
}

extension Catalog {
    /// Renovate's view of an entry: only approved digests (a tag whose current digest is not
    /// approved is left out); deprecated and retired entries' releases are deprecated.
    public func renovateReleases(of name: String) async throws -> RenovateReleases {
        let view = try await image(named: name)
        let deprecated = view.entry.status == .deprecated || view.entry.status == .retired
        var releases: [RenovateReleases.Release] = []
        for current in view.current {
            guard let digest = current.digest else { continue }
            let answer = try await lookup(digest)
            guard answer.verdict.verdict == .approved else { continue }
            releases.append(.init(version: current.tag, digest: digest, releaseTimestamp: answer.firstSeen, isDeprecated: deprecated))
        }
        return RenovateReleases(homepage: Self.registryPage(view.entry.repository), sourceUrl: view.entry.source, releases: releases)
    }

    /// The registry's web page of a repository, where one is known: Docker Hub's, Quay's, or
    /// the registry host's own (`https://ghcr.io/owner/name` leads to the package's page).
    static func registryPage(_ repository: String) -> String? {
        let parts = repository.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return nil }
        switch parts[0] {
        case "docker.io":
            return parts[1].hasPrefix("library/") ? "https://hub.docker.com/_/\(parts[1].dropFirst("library/".count))" : "https://hub.docker.com/r/\(parts[1])"
        case "quay.io": return "https://quay.io/repository/\(parts[1])"
        case let host where host.contains(".") && !host.hasPrefix("127.") && host != "localhost": return "https://\(host)/\(parts[1])"
        default: return nil
        }
    }
}

/// An admission controller's question about one image reference, answered: the judgment,
/// or why the key could not be judged at all.
public struct AdmissionAnswer: Sendable, Hashable {
    public var key: String
    /// Absent only when `error` says why nothing could be judged.
    public var judgment: Judgment?
    public var error: String?
}

extension Catalog {
    /// Keys one admission request may ask about: a pod has a few containers, a Gatekeeper
    /// batch a few pods' worth.
    public static let maxAdmissionKeys = 256

    /// What an admission controller asks for one image reference a pod names. A digest Plinth
    /// has seen is judged as it is; any other image is read from its registry and judged by its
    /// base, found by layers (`judgeBuiltImage`), and recorded as the base's dependent.
    public func admit(_ key: String, platform: Platform, client: RegistryClient?, policy: GatePolicy = .init(), logger: Logger) async throws
        -> AdmissionAnswer
    {
        let parsed: DigestOrReference
        do { parsed = try DigestOrReference(parsing: key) } catch {
            return AdmissionAnswer(key: key, judgment: nil, error: "not an image reference: \(error.description)")
        }
        let pinned: Digest? =
            switch parsed {
            case .digest(let digest): digest
            case .reference(let reference): reference.digest
            }
        if let pinned, try await lookup(pinned).verdict.verdict != .unknown {
            return AdmissionAnswer(key: key, judgment: try await judge(key, policy: policy), error: nil)
        }
        guard let client, case .reference = parsed else {
            return AdmissionAnswer(key: key, judgment: try await judge(key, policy: policy), error: nil)
        }
        let judgment = try await judgeBuiltImage(key, platform: platform, client: client, policy: policy, source: .admission, logger: logger)
        if judgment.image == nil, case .verdict(.unknown) = judgment.outcome {
            // Nothing was read: the registry did not answer, or served something unreadable.
            return AdmissionAnswer(key: key, judgment: nil, error: "could not read the image: \(judgment.reason)")
        }
        return AdmissionAnswer(key: key, judgment: judgment, error: nil)
    }

    /// A registry's push of `reference` (a manifest or an index), read back and recorded on
    /// its base: for an index, each platform manifest (attestations left out). The judgments
    /// say, for each platform, what was found.
    public func recordPushed(_ reference: ImageReference, client: RegistryClient, logger: Logger) async throws -> [Judgment] {
        let top = try await client.manifest(reference, logger: logger)
        var platforms: [Platform] = [try Platform(parsing: "linux/amd64")]
        if top.mediaType.isIndex, case .index(let entries) = try ManifestDocument.parse(top.bytes, mediaType: top.mediaType) {
            platforms = entries.map(\.indexChild).filter { !$0.isAttestation }.map(\.platform)
        }
        let pinned = ImageReference(registry: reference.registry, path: reference.path, tag: reference.tag, digest: top.digest)
        var judgments: [Judgment] = []
        for platform in platforms {
            judgments.append(try await judgeBuiltImage(pinned.description, platform: platform, client: client, source: .registry, logger: logger))
        }
        return judgments
    }
}
