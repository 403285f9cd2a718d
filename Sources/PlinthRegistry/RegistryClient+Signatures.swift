import Foundation
import Logging
import PlinthCore

/// Where a digest's signatures are, as cosign and OCI 1.1 lay them out: the tag
/// `sha256-<hex>.sig` (a manifest of simple-signing layers, each signature in its layer's
/// annotations), and the digest's referrers (`GET /v2/<name>/referrers/<digest>`, or the
/// referrers tag schema's `sha256-<hex>` index where the registry has no such API).
extension RegistryClient {
    public static let simpleSigningLayer = "application/vnd.dev.cosign.simplesigning.v1+json"
    public static let cosignSignatureArtifact = "application/vnd.dev.cosign.artifact.sig.v1+json"
    public static let sigstoreBundle = "application/vnd.dev.sigstore.bundle.v0.3+json"
    static let signatureAnnotation = "dev.cosignproject.cosign/signature"
    static let certificateAnnotation = "dev.sigstore.cosign/certificate"
    /// At most this many signature manifests, and layers in each, are read per digest.
    public static let maxSignatureManifests = 16

    /// The signatures found for `digest` in `registry`/`path`, from both places, and what
    /// could not be read (a registry fault reading signatures never fails a sync).
    public func signatures(of digest: Digest, registry: String, path: String, logger: Logger) async -> (found: [FoundSignature], notes: [String]) {
        var found: [FoundSignature] = []
        var notes: [String] = []
        let tag = SignatureVerifier.cosignTag(for: digest)
        do {
            if let manifest = try await optionalManifest(ImageReference(registry: registry, path: path, tag: tag, digest: nil), logger: logger) {
                found += try await simpleSignatures(in: manifest, registry: registry, path: path, source: "tag \(tag)", logger: logger)
            }
        } catch {
            notes.append("reading the tag \(tag): \(error)")
        }
        do {
            for referrer in try await referrers(of: digest, registry: registry, path: path, logger: logger).prefix(Self.maxSignatureManifests)
            where [Self.cosignSignatureArtifact, Self.simpleSigningLayer, Self.sigstoreBundle].contains(referrer.artifactType) {
                let reference = ImageReference(registry: registry, path: path, tag: nil, digest: referrer.digest)
                let manifest = try await self.manifest(reference, logger: logger)
                if referrer.artifactType == Self.sigstoreBundle {
                    found += try await bundles(in: manifest, registry: registry, path: path, logger: logger)
                } else {
                    found += try await simpleSignatures(in: manifest, registry: registry, path: path, source: "referrers", logger: logger)
                }
            }
        } catch {
            notes.append("reading the referrers of \(digest): \(error)")
        }
        return (found, notes)
    }

    /// The manifest a tag points at; nil when the registry has no such tag.
    func optionalManifest(_ reference: ImageReference, logger: Logger) async throws -> FetchedManifest? {
        do { return try await manifest(reference, logger: logger) } catch let error as RegistryError where error.kind == .notFound || error.status == 404 {
            return nil
        }
    }

    /// The simple-signing layers of a signature manifest, each with its payload (a blob, at
    /// most `SignatureVerifier.maxPayloadBytes`) and the signature its annotation carries.
    func simpleSignatures(in manifest: FetchedManifest, registry: String, path: String, source: String, logger: Logger) async throws -> [FoundSignature] {
        guard case .image(_, let layers) = try ManifestDocument.parse(manifest.bytes, mediaType: manifest.mediaType) else { return [] }
        var found: [FoundSignature] = []
        for layer in layers.prefix(Self.maxSignatureManifests) where layer.mediaType.rawValue == Self.simpleSigningLayer {
            guard let encoded = layer.annotations?[Self.signatureAnnotation], encoded.utf8.count <= 4 * SignatureVerifier.maxSignatureBytes,
                let signature = Data(base64Encoded: encoded)
            else { continue }
            guard layer.size <= SignatureVerifier.maxPayloadBytes else {
                throw RegistryError(.tooLarge, registry: registry, message: "signature payload \(layer.digest) is \(layer.size) bytes")
            }
            let payload = try await blob(registry: registry, path: path, digest: layer.digest, maxBytes: SignatureVerifier.maxPayloadBytes, logger: logger)
            found.append(
                FoundSignature(payload: payload, signature: Array(signature), certificate: layer.annotations?[Self.certificateAnnotation], source: source))
        }
        return found
    }

    /// The Sigstore bundles of a cosign v3 referrer: its layers of the bundle media type, each
    /// at most `SigstoreBundle.maxBytes`.
    func bundles(in manifest: FetchedManifest, registry: String, path: String, logger: Logger) async throws -> [FoundSignature] {
        guard case .image(_, let layers) = try ManifestDocument.parse(manifest.bytes, mediaType: manifest.mediaType) else { return [] }
        var found: [FoundSignature] = []
        for layer in layers.prefix(Self.maxSignatureManifests) where layer.mediaType.rawValue == Self.sigstoreBundle {
            guard layer.size <= SigstoreBundle.maxBytes else {
                throw RegistryError(.tooLarge, registry: registry, message: "Sigstore bundle \(layer.digest) is \(layer.size) bytes")
            }
            let bytes = try await blob(registry: registry, path: path, digest: layer.digest, maxBytes: SigstoreBundle.maxBytes, logger: logger)
            found.append(FoundSignature(bundle: bytes, source: "referrers (Sigstore bundle)"))
        }
        return found
    }

    /// A digest's referrers: the referrers API's index, or, when the API answers 404, the index
    /// under the referrers tag schema's tag (`sha256-<hex>`); none when neither exists.
    public func referrers(of digest: Digest, registry: String, path: String, logger: Logger) async throws -> [Referrer] {
        let bytes: [UInt8]
        do {
            let answer = try await send(
                .GET, registry: registry, path: "/v2/\(path)/referrers/\(digest)", accept: [MediaType.ociIndex.rawValue], scope: path,
                maxBody: configuration.maxManifestBytes, logger: logger)
            bytes = Array(answer.body.readableBytesView)
        } catch let error as RegistryError where error.kind == .notFound || error.status == 404 {
            let tag = SignatureVerifier.referrersTag(for: digest)
            guard let index = try await optionalManifest(ImageReference(registry: registry, path: path, tag: tag, digest: nil), logger: logger),
                index.mediaType.isIndex
            else { return [] }
            bytes = index.bytes
        }
        struct Index: Decodable {
            var manifests: [Referrer]?
        }
        do { return try JSONDecoder().decode(Index.self, from: Data(bytes)).manifests ?? [] } catch {
            throw RegistryError(.invalidManifest, registry: registry, message: "the referrers of \(digest) are not an image index: \(error)")
        }
    }

    /// One entry of a referrers index.
    public struct Referrer: Decodable, Sendable, Hashable {
        public var mediaType: String
        public var digest: Digest
        public var size: Int64
        public var artifactType: String?
    }
}
