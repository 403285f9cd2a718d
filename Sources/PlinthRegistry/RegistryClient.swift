import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import PlinthCore
import Synchronization

/// A manifest or index as a registry served it: its exact bytes, verified against its digest.
public struct FetchedManifest: Sendable, Hashable {
    public var digest: Digest
    public var mediaType: MediaType
    public var bytes: [UInt8]
}

/// An OCI distribution-spec client on AsyncHTTPClient: manifests and blobs, HEAD first,
/// every body verified over the exact bytes received, bearer and basic auth, retries with
/// backoff, `Retry-After`, a concurrency bound per registry, bounded bodies, and redirects
/// followed by hand so that `Authorization` never goes to another host.
///
/// One client per process; call `shutdown()` when done.
public final class RegistryClient: Sendable {
    public let configuration: RegistryConfiguration
    let http: HTTPClient
    let credentials: any CredentialProvider
    let tokens = Mutex<[String: CachedToken]>([:])
    let limits = Mutex<[String: ConcurrencyLimit]>([:])
    /// Docker Hub's pull limit, by registry, as last reported.
    let pullLimits = Mutex<[String: PullLimit]>([:])

    struct CachedToken: Sendable {
        var authorization: String
        var expires: ContinuousClock.Instant
    }

    public init(configuration: RegistryConfiguration = .init(), credentials: any CredentialProvider = StaticCredentials()) {
        self.configuration = configuration
        self.credentials = credentials
        var http = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(Int64(configuration.connectTimeout.components.seconds)), read: .seconds(Int64(configuration.requestTimeout.components.seconds))))
        http.decompression = .disabled
        if !configuration.additionalTrustRoots.isEmpty {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.additionalTrustRoots = configuration.additionalTrustRoots.map { .file($0) }
            http.tlsConfiguration = tls
        }
        // A refused connection fails the request at once; our own retry loop (with backoff and
        // its attempt limit) decides whether to try again, instead of the pool retrying until
        // the deadline.
        http.connectionPool.retryConnectionEstablishment = false
        self.http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: http)
    }

    public func shutdown() async throws {
        try await http.shutdown()
    }

    /// The pulls Docker Hub last said remain for a registry (`ratelimit-remaining`), if it did.
    public func rateLimitRemaining(for registry: String) -> Int? {
        pullLimits.withLock { $0[registry]?.remaining }
    }

    // MARK: Manifests and blobs

    /// The digest and media type a tag (or digest) points at: `HEAD` first, which Docker Hub
    /// does not count against pull limits; `GET` when the registry sends no digest header.
    public func resolve(_ reference: ImageReference, logger: Logger) async throws -> (digest: Digest, mediaType: MediaType) {
        let target = reference.digest?.description ?? reference.tag ?? "latest"
        let head = try await send(
            .HEAD, registry: reference.registry, path: "/v2/\(reference.path)/manifests/\(target)", accept: Self.manifestAccept,
            scope: reference.path, maxBody: 0, logger: logger)
        if let header = head.headers.first(name: "Docker-Content-Digest"), let digest = try? Digest(parsing: header),
            let type = head.headers.first(name: "Content-Type").map(Self.mediaType), type.isIndex || type.isManifest
        {
            if let expected = reference.digest, expected != digest {
                throw RegistryError(.digestMismatch, registry: reference.registry, message: "asked for \(expected), the registry answered \(digest)")
            }
            return (digest, type)
        }
        let manifest = try await manifest(reference, logger: logger)
        return (manifest.digest, manifest.mediaType)
    }

    /// The manifest or index a tag or digest points at, verified: the bytes must hash to the
    /// digest asked for, and to `Docker-Content-Digest` when the registry sends one.
    public func manifest(_ reference: ImageReference, logger: Logger) async throws -> FetchedManifest {
        let target = reference.digest?.description ?? reference.tag ?? "latest"
        let answer = try await send(
            .GET, registry: reference.registry, path: "/v2/\(reference.path)/manifests/\(target)", accept: Self.manifestAccept,
            scope: reference.path, maxBody: configuration.maxManifestBytes, logger: logger)
        let bytes = Array(answer.body.readableBytesView)
        let type = answer.headers.first(name: "Content-Type").map(Self.mediaType) ?? MediaType("")
        guard type.isIndex || type.isManifest else {
            throw RegistryError(.invalidManifest, registry: reference.registry, message: "served media type '\(type.rawValue)' is not a manifest or index")
        }
        let announced = answer.headers.first(name: "Docker-Content-Digest").flatMap { try? Digest(parsing: $0) }
        let algorithm = reference.digest?.algorithm ?? announced?.algorithm ?? .sha256
        let computed = Digest.compute(algorithm, of: bytes)
        for expected in [reference.digest, announced].compactMap({ $0 }) where expected.algorithm == algorithm && expected != computed {
            throw RegistryError(
                .digestMismatch, registry: reference.registry,
                message: "manifest \(target) of \(reference.repository) hashes to \(computed), expected \(expected)")
        }
        do { _ = try ManifestDocument.parse(bytes, mediaType: type) } catch {
            throw RegistryError(.invalidManifest, registry: reference.registry, message: "\(reference.repository)@\(computed): \(error.description)")
        }
        return FetchedManifest(digest: computed, mediaType: type, bytes: bytes)
    }

    /// A blob's bytes, verified against its digest, at most `maxBytes`.
    public func blob(registry: String, path: String, digest: Digest, maxBytes: Int, logger: Logger) async throws -> [UInt8] {
        let answer = try await send(
            .GET, registry: registry, path: "/v2/\(path)/blobs/\(digest)", accept: ["*/*"], scope: path, maxBody: maxBytes, logger: logger)
        let bytes = Array(answer.body.readableBytesView)
        let computed = Digest.compute(digest.algorithm, of: bytes)
        guard computed == digest else {
            throw RegistryError(.digestMismatch, registry: registry, message: "blob \(digest) of \(path) hashes to \(computed)")
        }
        return bytes
    }

    /// All four manifest media types in one Accept header: leaving one out changes the answer
    /// (the registry converts, picks a platform, or answers 404).
    static let manifestAccept = MediaType.manifestTypes.map(\.rawValue)

    static func mediaType(_ contentType: String) -> MediaType {
        MediaType(contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? contentType)
    }
}
