/// Media types of manifests and indexes (OCI image-spec `media-types.md`, and the
/// Docker v2 schema 2 types that registries still serve).
public struct MediaType: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }

    public static let ociIndex = MediaType("application/vnd.oci.image.index.v1+json")
    public static let ociManifest = MediaType("application/vnd.oci.image.manifest.v1+json")
    public static let dockerManifestList = MediaType("application/vnd.docker.distribution.manifest.list.v2+json")
    public static let dockerManifest = MediaType("application/vnd.docker.distribution.manifest.v2+json")

    /// The four types a registry client must accept, in one Accept header.
    public static let manifestTypes: [MediaType] = [.ociIndex, .ociManifest, .dockerManifestList, .dockerManifest]

    /// An index (OCI) or manifest list (Docker): it points at per-platform manifests.
    public var isIndex: Bool { self == .ociIndex || self == .dockerManifestList }
    public var isManifest: Bool { self == .ociManifest || self == .dockerManifest }

    public var description: String { rawValue }
}
