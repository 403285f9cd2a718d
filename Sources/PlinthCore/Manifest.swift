import Foundation

/// A content descriptor (OCI image-spec `descriptor.md`).
public struct Descriptor: Hashable, Sendable, Codable {
    public var mediaType: MediaType
    public var digest: Digest
    public var size: Int64
    public var platform: DescriptorPlatform?
    public var annotations: [String: String]?

    public init(mediaType: MediaType, digest: Digest, size: Int64, platform: DescriptorPlatform? = nil, annotations: [String: String]? = nil) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.platform = platform
        self.annotations = annotations
    }
}

/// The `platform` object of an index entry, as the spec spells it.
public struct DescriptorPlatform: Hashable, Sendable, Codable {
    public var architecture: String
    public var os: String
    public var variant: String?

    enum CodingKeys: String, CodingKey {
        case architecture, os, variant
    }
}

/// An index (OCI image index or Docker manifest list) or an image manifest, parsed from the
/// exact bytes a registry served. Only the fields Plinth uses are read; the bytes are kept
/// elsewhere, as received.
public enum ManifestDocument: Sendable, Hashable {
    case index(entries: [Descriptor])
    case image(config: Descriptor, layers: [Descriptor])

    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case notJSON(String)
        case unsupportedMediaType(String)
        case missingField(String)
        case mediaTypeMismatch(header: String, body: String)

        public var description: String {
            switch self {
            case .notJSON(let reason): "manifest is not valid JSON: \(reason)"
            case .unsupportedMediaType(let type): "unsupported manifest media type '\(type)'"
            case .missingField(let field): "manifest has no valid '\(field)'"
            case .mediaTypeMismatch(let header, let body):
                "manifest body says media type '\(body)' but the registry served it as '\(header)'"
            }
        }
    }

    private struct Wire: Decodable {
        var schemaVersion: Int?
        var mediaType: String?
        var manifests: [Descriptor]?
        var config: Descriptor?
        var layers: [Descriptor]?
    }

    /// Parses `bytes` served as `mediaType` (the Content-Type). The body's own `mediaType`,
    /// when present, must agree (image-spec: it is reserved to guard against confusion).
    public static func parse(_ bytes: some DataProtocol, mediaType: MediaType) throws(ParseError) -> ManifestDocument {
        let wire: Wire
        do { wire = try JSONDecoder().decode(Wire.self, from: Data(bytes)) } catch {
            throw .notJSON(String(describing: error).prefix(200).description)
        }
        if let declared = wire.mediaType, declared != mediaType.rawValue {
            throw .mediaTypeMismatch(header: mediaType.rawValue, body: declared)
        }
        if mediaType.isIndex {
            guard let entries = wire.manifests else { throw .missingField("manifests") }
            return .index(entries: entries)
        }
        if mediaType.isManifest {
            guard let config = wire.config else { throw .missingField("config") }
            return .image(config: config, layers: wire.layers ?? [])
        }
        throw .unsupportedMediaType(mediaType.rawValue)
    }
}

extension Descriptor {
    /// The index entry as Plinth records it. Attestation manifests (BuildKit lists them as
    /// `unknown/unknown` with a `vnd.docker.reference.type` annotation) keep that platform,
    /// so they are never counted as a platform.
    public var indexChild: IndexChild {
        let isAttestation = annotations?["vnd.docker.reference.type"] != nil || platform?.os == "unknown"
        let platform: Platform =
            isAttestation || self.platform == nil
            ? Platform(os: "unknown", architecture: "unknown")
            : Platform(os: self.platform!.os, architecture: self.platform!.architecture, variant: self.platform!.variant)
        return IndexChild(digest: digest, mediaType: mediaType, platform: platform)
    }
}
