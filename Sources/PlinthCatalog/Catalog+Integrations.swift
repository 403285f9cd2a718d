import Foundation
import PlinthCore
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
        return RenovateReleases(homepage: Self.registryPage(view.entry.repository), releases: releases)
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
