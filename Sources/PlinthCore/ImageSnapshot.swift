import Foundation

/// A platform manifest listed in an index.
public struct IndexChild: Hashable, Sendable, Codable {
    public var digest: Digest
    public var mediaType: MediaType
    /// `unknown/unknown` for attestation manifests, which are kept apart from platforms.
    public var platform: Platform

    public init(digest: Digest, mediaType: MediaType, platform: Platform) {
        self.digest = digest
        self.mediaType = mediaType
        self.platform = platform
    }

    public var isAttestation: Bool { platform.isAttestation }

    enum CodingKeys: String, CodingKey {
        case digest, platform
        case mediaType = "media_type"
    }
}

/// An OS package found installed in an image.
public struct InstalledPackage: Hashable, Sendable, Codable {
    /// Package format: `deb`, `apk` or `rpm`.
    public var type: String
    public var name: String
    public var version: String
    public var arch: String?
    public var sourceName: String?
    public var sourceVersion: String?
    /// rpm: the source rpm's file name, as the package's header records it.
    public var sourceRPM: String?
    /// rpm: the modularity label (`nodejs:18:8070020230306:ad008a3a`) of a package from a module stream.
    public var module: String?

    public init(
        type: String, name: String, version: String, arch: String?, sourceName: String?, sourceVersion: String?, sourceRPM: String? = nil,
        module: String? = nil
    ) {
        self.type = type
        self.name = name
        self.version = version
        self.arch = arch
        self.sourceName = sourceName
        self.sourceVersion = sourceVersion
        self.sourceRPM = sourceRPM
        self.module = module
    }

    enum CodingKeys: String, CodingKey {
        case type, name, version, arch, module
        case sourceName = "source_name"
        case sourceVersion = "source_version"
        case sourceRPM = "source_rpm"
    }
}

/// What one look at a registry tag found: the digest it pointed at, the index's
/// children and (where read) a platform image's packages. Sync produces these;
/// `seed-data/snapshots/` ships real ones so that lookups work offline.
public struct ImageSnapshot: Hashable, Sendable, Codable {
    public var repository: String
    public var tag: String
    public var digest: Digest
    public var mediaType: MediaType
    public var children: [IndexChild]
    public var seenAt: Date
    /// Where the facts come from: `registry`, or a citation for seeded data.
    public var source: String
    /// Packages per platform manifest digest.
    public var packages: [Digest: [InstalledPackage]]

    public init(
        repository: String, tag: String, digest: Digest, mediaType: MediaType, children: [IndexChild], seenAt: Date,
        source: String, packages: [Digest: [InstalledPackage]] = [:]
    ) {
        self.repository = repository
        self.tag = tag
        self.digest = digest
        self.mediaType = mediaType
        self.children = children
        self.seenAt = seenAt
        self.source = source
        self.packages = packages
    }

    enum CodingKeys: String, CodingKey {
        case repository, tag, digest, children, source, packages
        case mediaType = "media_type"
        case seenAt = "seen_at"
    }
}
