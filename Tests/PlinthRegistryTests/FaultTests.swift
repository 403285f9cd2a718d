import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PlinthCore
import PlinthTestSupport
import Testing

@testable import PlinthRegistry

/// Faults a real registry will not produce on demand, from `FakeRegistry`.
@Suite("Registry faults")
struct FaultTests {
    static let logger = Logger(label: "test.faults")
    static let manifestType = "application/vnd.oci.image.manifest.v1+json"
    static let manifest = Array(
        #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#
            .utf8)
    static var manifestDigest: String { Digest.compute(.sha256, of: manifest).description }
    static let path = "/v2/test/repo/manifests/v1"

    /// `requestTimeout` is generous but for the stall test: the suite on PostgreSQL loads the
    /// machine enough that a fake registry's answer took over 2 s.
    static func client(credentials: [String: RegistryCredentials] = [:], requestTimeout: Duration = .seconds(20)) -> RegistryClient {
        var configuration = RegistryConfiguration()
        configuration.maxAttempts = 3
        configuration.initialBackoff = .milliseconds(10)
        configuration.maxBackoff = .milliseconds(50)
        configuration.requestTimeout = requestTimeout
        return RegistryClient(configuration: configuration, credentials: StaticCredentials(credentials))
    }

    static func reference(_ address: String) -> ImageReference {
        ImageReference(registry: address, path: "test/repo", tag: "v1", digest: nil)
    }

    /// Runs `body` against a fake registry with a fresh client; returns what it threw.
    static func failure(
        _ replies: [FakeRegistry.Reply], path: String = path, requestTimeout: Duration = .seconds(20),
        _ body: @escaping @Sendable (RegistryClient, String) async throws -> Void = {
            _ = try await $0.manifest(reference($1), logger: logger)
        }
    ) async throws -> RegistryError? {
        let fake = FakeRegistry()
        fake.script(path, replies)
        return try await fake.run { address in
            // The client is shut down before the fake stops: an open keep-alive connection
            // would hold the fake's graceful shutdown.
            let client = client(requestTimeout: requestTimeout)
            var failure: RegistryError?
            do { try await body(client, address) } catch let error as RegistryError { failure = error }
            try await client.shutdown()
            return failure
        }
    }

    @Test func waitsAsRetryAfterAsksThenSucceeds() async throws {
        let fake = FakeRegistry()
        fake.script(Self.path, [.status(429, headers: ["Retry-After": "1"]), .manifest(body: Self.manifest, mediaType: Self.manifestType, digestHeader: Self.manifestDigest)])
        let elapsed = try await fake.run { address in
            let client = Self.client()
            let start = ContinuousClock.now
            let fetched = try await client.manifest(Self.reference(address), logger: Self.logger)
            try await client.shutdown()
            #expect(fetched.digest.description == Self.manifestDigest)
            return ContinuousClock.now - start
        }
        #expect(elapsed >= .seconds(1))
    }

    @Test func aRetryAfterLongerThanAllowedFailsAsRateLimited() async throws {
        let error = try await Self.failure([.status(429, headers: ["Retry-After": "3600"])])
        #expect(error?.kind == .rateLimited)
        #expect(error?.status == 429)
    }

    @Test func anExhaustedPullLimitStopsFurtherPullsButNotHeads() async throws {
        let fake = FakeRegistry()
        fake.script(
            Self.path,
            [.manifest(body: Self.manifest, mediaType: Self.manifestType, digestHeader: Self.manifestDigest, headers: ["ratelimit-remaining": "0;w=21600"])])
        let (first, second, head, getsBefore, getsAfter) = try await fake.run { address in
            let client = Self.client()
            let first = try await client.manifest(Self.reference(address), logger: Self.logger)
            // A loaded machine may time the first GET out and retry it: count from here.
            let getsBefore = fake.requests.filter { $0.method == "GET" }.count
            var second: RegistryError?
            do { _ = try await client.manifest(Self.reference(address), logger: Self.logger) } catch let error as RegistryError { second = error }
            let getsAfter = fake.requests.filter { $0.method == "GET" }.count
            // A HEAD does not count against the limit: resolving still asks.
            let head = try await client.resolve(Self.reference(address), logger: Self.logger)
            #expect(client.rateLimitRemaining(for: address) == 0)
            try await client.shutdown()
            return (first, second, head, getsBefore, getsAfter)
        }
        #expect(first.digest.description == Self.manifestDigest)
        #expect(second?.kind == .rateLimited)
        #expect(second?.description.contains("pull limit is used up (ratelimit-remaining 0 for a 21600-second window)") == true)
        #expect(head.digest.description == Self.manifestDigest)
        // The refused GET never reached the registry (HEADs, which a loaded machine may also
        // retry, are not counted).
        #expect(getsBefore >= 1)
        #expect(getsAfter == getsBefore)
        #expect(fake.requests.contains { $0.method == "HEAD" })
    }

    @Test func pullLimitHeadersAreParsedAsDockerHubSendsThem() {
        let now = ContinuousClock.now
        #expect(PullLimit(header: "76;w=21600", at: now)?.remaining == 76)
        #expect(PullLimit(header: "0;w=60", at: now)?.window == .seconds(60))
        #expect(PullLimit(header: "0", at: now)?.window == PullLimit.defaultWindow)
        #expect(PullLimit(header: "0;w=60", at: now)?.exhausted(at: now + .seconds(59)) == true)
        #expect(PullLimit(header: "0;w=60", at: now)?.exhausted(at: now + .seconds(61)) == false)
        #expect(PullLimit(header: "5;w=60", at: now)?.exhausted(at: now) == false)
        #expect(PullLimit(header: "many", at: now) == nil)
        #expect(PullLimit(header: "-1", at: now) == nil)
    }

    @Test func transientServerErrorsAreRetried() async throws {
        let error = try await Self.failure([.status(503), .status(502), .manifest(body: Self.manifest, mediaType: Self.manifestType, digestHeader: nil)])
        #expect(error == nil)
    }

    @Test func aServerErrorThatPersistsIsReportedAsTransient() async throws {
        let error = try await Self.failure([.status(500)])
        #expect(error?.kind == .status)
        #expect(error?.status == 500)
        #expect(error?.codes == ["TEST"])
        #expect(error?.isTransient == true)
    }

    @Test func aStallPastTheTimeoutFails() async throws {
        let error = try await Self.failure([.stall(.seconds(3))], requestTimeout: .seconds(1))
        #expect(error?.kind == .timeout)
    }

    @Test func aBodyThatDoesNotMatchItsDigestIsRefused() async throws {
        let wrong = "sha256:" + String(repeating: "0", count: 64)
        let error = try await Self.failure([.manifest(body: Self.manifest, mediaType: Self.manifestType, digestHeader: wrong)])
        #expect(error?.kind == .digestMismatch)
        // Asked by digest, served other bytes.
        let fake = FakeRegistry()
        fake.script("/v2/test/repo/manifests/\(wrong)", [.manifest(body: Self.manifest, mediaType: Self.manifestType, digestHeader: nil)])
        let byDigest = try await fake.run { address in
            let client = Self.client()
            var failure: RegistryError?
            do {
                _ = try await client.manifest(ImageReference(registry: address, path: "test/repo", tag: nil, digest: try Digest(parsing: wrong)), logger: Self.logger)
            } catch let error as RegistryError { failure = error }
            try await client.shutdown()
            return failure
        }
        #expect(byDigest?.kind == .digestMismatch)
    }

    @Test func aTruncatedBodyIsAnError() async throws {
        let error = try await Self.failure([.truncated(body: Array(Self.manifest.prefix(20)), length: Self.manifest.count)])
        #expect(error?.kind == .truncated)
    }

    @Test func anOversizedManifestIsRefused() async throws {
        let huge = Array(repeating: UInt8(ascii: " "), count: 5 << 20)
        let error = try await Self.failure([.manifest(body: huge, mediaType: Self.manifestType, digestHeader: nil)])
        #expect(error?.kind == .tooLarge)
    }

    @Test func aMalformedChallengeIsAnAuthenticationError() async throws {
        let error = try await Self.failure([.status(401, headers: ["WWW-Authenticate": #"Bearer realm="https://auth.example/token"#])])
        #expect(error?.kind == .invalidAuthentication)
    }

    @Test func aRedirectToAnotherHostCarriesNoAuthorization() async throws {
        let blob = Array("{}".utf8)
        let blobDigest = Digest.compute(.sha256, of: blob)
        let storage = FakeRegistry()
        storage.script("/storage/blob", [.blob(blob)])
        let registry = FakeRegistry()
        let blobPath = "/v2/test/repo/blobs/\(blobDigest)"
        try await storage.run(hostname: "localhost") { storageAddress in
            registry.script(blobPath, [.status(401, headers: ["WWW-Authenticate": #"Basic realm="test""#]), .redirect(to: "http://\(storageAddress)/storage/blob")])
            try await registry.run { address in
                let client = RegistryClient(credentials: StaticCredentials([address: RegistryCredentials(username: "u", secret: "p")]))
                let bytes = try await client.blob(registry: address, path: "test/repo", digest: blobDigest, maxBytes: 1024, logger: Self.logger)
                try await client.shutdown()
                #expect(bytes == blob)
            }
        }
        // The registry got the credentials after its challenge; the other host never did.
        #expect(registry.requests.map { $0.authorization != nil } == [false, true])
        #expect(storage.requests.count == 1)
        #expect(storage.requests.first?.authorization == nil)
    }

    /// A client trusting the fixture's self-signed certificate, as `--registry-ca` makes one.
    static func tlsClient(trusting certificate: String) -> RegistryClient {
        var configuration = RegistryConfiguration()
        configuration.maxAttempts = 1
        // Generous, as is the deadline in `get`: these tests are about where a token goes, and the
        // suite on PostgreSQL loads the machine enough that a redirect chain of TLS handshakes
        // with the fake registries ran past a 5 s deadline in CI.
        configuration.requestTimeout = .seconds(30)
        configuration.connectTimeout = .seconds(30)
        configuration.additionalTrustRoots = [certificate]
        return RegistryClient(configuration: configuration)
    }

    static func get(_ client: RegistryClient, _ url: String, authorization: String) async throws -> Int {
        let response = try await client.response(
            HTTPMethod.GET, url: url, registry: "127.0.0.1", accept: [], authorization: authorization, deadline: NIODeadline.now() + .seconds(60))
        _ = try await response.body.collect(upTo: 1 << 20)
        return Int(response.status.code)
    }

    @Test func anHTTPSRegistryRedirectingToHTTPOnTheSameHostIsRefusedAndNoTokenIsSent() async throws {
        let tls = try await SelfSignedCertificate.make()
        let secure = FakeRegistry(), plain = FakeRegistry()
        let failure: RegistryError? = try await plain.run { plainAddress in
            try await secure.run(tls: tls) { secureAddress in
                secure.script("/v2/test/repo/blobs/b", [.redirect(to: "http://\(plainAddress)/v2/test/repo/blobs/b")])
                let client = Self.tlsClient(trusting: tls.certificate)
                var failure: RegistryError?
                do { _ = try await Self.get(client, "https://\(secureAddress)/v2/test/repo/blobs/b", authorization: "Bearer sekrit") } catch let error as RegistryError {
                    failure = error
                }
                try await client.shutdown()
                return failure
            }
        }
        #expect(failure?.kind == .badRedirect)
        #expect(failure?.description.contains("refused a redirect from https to http") == true, "\(String(describing: failure))")
        // The https registry got the token over TLS; the http listener got nothing at all.
        #expect(secure.requests.map(\.authorization) == ["Bearer sekrit"])
        #expect(plain.requests.isEmpty)
    }

    @Test func aRedirectToAnotherPortGetsNoTokenAndOneToTheSameOriginKeepsIt() async throws {
        let tls = try await SelfSignedCertificate.make()
        let first = FakeRegistry(), other = FakeRegistry()
        try await other.run(tls: tls) { otherAddress in
            try await first.run(tls: tls) { address in
                first.script("/v2/test/repo/blobs/away", [.redirect(to: "https://\(otherAddress)/storage/away")])
                first.script("/v2/test/repo/blobs/here", [.redirect(to: "/v2/test/repo/blobs/here-too")])
                first.script("/v2/test/repo/blobs/here-too", [.blob([1, 2, 3])])
                other.script("/storage/away", [.redirect(to: "https://\(address)/v2/test/repo/blobs/back")])
                first.script("/v2/test/repo/blobs/back", [.blob([4, 5, 6])])
                let client = Self.tlsClient(trusting: tls.certificate)
                do {
                    #expect(try await Self.get(client, "https://\(address)/v2/test/repo/blobs/away", authorization: "Bearer sekrit") == 200)
                    #expect(try await Self.get(client, "https://\(address)/v2/test/repo/blobs/here", authorization: "Bearer sekrit") == 200)
                } catch {
                    // Shut down before the failure propagates (a client released unshut traps).
                    try? await client.shutdown()
                    throw error
                }
                try await client.shutdown()
            }
        }
        let seen = first.requests.map { "\($0.path) \($0.authorization ?? "-")" }
        // Once the chain left the origin, the token stayed off even when it came back.
        #expect(seen == [
            "/v2/test/repo/blobs/away Bearer sekrit", "/v2/test/repo/blobs/back -",
            "/v2/test/repo/blobs/here Bearer sekrit", "/v2/test/repo/blobs/here-too Bearer sekrit",
        ])
        #expect(other.requests.map { $0.authorization ?? "-" } == ["-"])
    }

    @Test func anUntrustedCertificateFailsClearly() async throws {
        let tls = try await SelfSignedCertificate.make()
        let fake = FakeRegistry()
        fake.script("/v2/", [.status(200)])
        let failure: RegistryError? = try await fake.run(tls: tls) { address in
            let client = Self.client()
            var failure: RegistryError?
            do { _ = try await Self.get(client, "https://\(address)/v2/", authorization: "Bearer sekrit") } catch let error as RegistryError { failure = error }
            try await client.shutdown()
            return failure
        }
        #expect(failure?.kind == .unreachable)
        #expect(fake.requests.isEmpty, "no request, and so no token, reaches a server whose certificate is not trusted")
    }

    @Test func aStreamedLayerThatDoesNotMatchItsDigestYieldsNothing() async throws {
        // A plain tar layer holding a dpkg status file, served under another digest.
        let tar = try await TarReaderTests.archive(format: "USTAR_FORMAT", files: ["var/lib/dpkg/status": "Package: a\nVersion: 1\nStatus: install ok installed\n"])
        let wrong = try Digest(parsing: "sha256:" + String(repeating: "1", count: 64))
        let right = Digest.compute(.sha256, of: tar)
        let fake = FakeRegistry()
        fake.script("/v2/test/repo/blobs/\(wrong)", [.blob(tar)])
        fake.script("/v2/test/repo/blobs/\(right)", [.blob(tar)])
        let (failure, contents) = try await fake.run { address in
            let client = Self.client()
            let layer = { (digest: Digest) in Descriptor(mediaType: MediaType("application/vnd.oci.image.layer.v1.tar"), digest: digest, size: Int64(tar.count)) }
            var failure: RegistryError?
            do { _ = try await client.contents(registry: address, path: "test/repo", layers: [layer(wrong)], logger: Self.logger) } catch let error as RegistryError {
                failure = error
            }
            let contents = try await client.contents(registry: address, path: "test/repo", layers: [layer(right)], logger: Self.logger)
            try await client.shutdown()
            return (failure, contents)
        }
        #expect(failure?.kind == .digestMismatch)
        #expect(contents.packages.map(\.name) == ["a"])
    }

    @Test func aLayerOverItsBoundIsRefused() async throws {
        let big = Array(repeating: UInt8(0), count: 4096)
        let digest = Digest.compute(.sha256, of: big)
        let fake = FakeRegistry()
        fake.script("/v2/test/repo/blobs/\(digest)", [.blob(big)])
        let failure = try await fake.run { address in
            var configuration = RegistryConfiguration()
            configuration.maxLayerBytes = 1024
            let client = RegistryClient(configuration: configuration)
            var failure: RegistryError?
            do {
                _ = try await client.contents(
                    registry: address, path: "test/repo", layers: [Descriptor(mediaType: MediaType("application/vnd.oci.image.layer.v1.tar"), digest: digest, size: 4096)],
                    logger: Self.logger)
            } catch let error as RegistryError { failure = error }
            try await client.shutdown()
            return failure
        }
        #expect(failure?.kind == .tooLarge)
    }

    /// A layer whose rpm database is not one (a truncated file, say) still gives its OS,
    /// with a note that names the file and what is wrong, and no packages.
    @Test func aCorruptRPMDatabaseIsNotedNotACrash() async throws {
        let tar = try await TarReaderTests.archive(format: "USTAR_FORMAT", files: ["var/lib/rpm/rpmdb.sqlite": "SQLite format 3", "etc/os-release": "ID=rhel\nVERSION_ID=9.4\n"])
        let digest = Digest.compute(.sha256, of: tar)
        let fake = FakeRegistry()
        fake.script("/v2/test/repo/blobs/\(digest)", [.blob(tar)])
        let contents = try await fake.run { address in
            let client = Self.client()
            let contents = try await client.contents(
                registry: address, path: "test/repo", layers: [Descriptor(mediaType: MediaType("application/vnd.oci.image.layer.v1.tar"), digest: digest, size: Int64(tar.count))],
                logger: Self.logger)
            try await client.shutdown()
            return contents
        }
        #expect(contents.notes == ["the rpm database var/lib/rpm/rpmdb.sqlite could not be read: not an SQLite database"])
        #expect(contents.packages.isEmpty)
        #expect(contents.os?.id == "rhel")
    }
}
