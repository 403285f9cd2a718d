import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import PlinthCatalog
import PlinthCore
import PlinthRegistry
import PlinthTestSupport
import Prometheus
import Testing

@testable import PlinthServer

/// Key-based signatures, the whole path: a fixture image on the real test registry (CNCF
/// distribution), its signature laid out as cosign lays it out and made by openssl, synced
/// under an entry that requires a signature by its key, then `GET /v1/digests/{digest}`.
@Suite("signatures", .serialized)
struct SignatureTests {
    let registries: TestRegistries
    let logger = Logger(label: "test.signatures")

    init() async throws {
        registries = try await TestRegistries.shared()
    }

    static func policy(_ keys: [String]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: ["required": true, "keys": keys]), as: UTF8.self)
    }

    enum Layout: Sendable {
        /// cosign's `sha256-<hex>.sig` tag.
        case signatureTag
        /// The referrers tag schema's `sha256-<hex>` index (distribution 2.8 has no referrers API).
        case referrersTag
        case none
    }

    /// What a signature is made of, and how it goes wrong.
    enum Fault: String, Sendable, CaseIterable {
        case none, otherKey, otherDigest, otherReference, flippedByte
    }

    /// Syncs the `amd64` fixture under a policy trusting the key `trusted`, after pushing a
    /// signature of it made as `fault` says in `layout`; the lookup's body.
    func syncSigned(_ fault: Fault, layout: Layout) async throws -> [String: Any] {
        let cosign = try CosignLayout()
        defer { cosign.remove() }
        let trusted = try await cosign.makeKey("trusted")
        _ = try await cosign.makeKey("other")
        let (_, catalog, synced, failed) = try await registries.syncedFixture(
            "amd64", os: ("debian", "12"), signatures: try Self.policy([trusted]), logger: logger
        ) { repository, digest in
            guard layout != .none else { return }
            let registry = String(repository.prefix { $0 != "/" }), path = String(repository.drop { $0 != "/" }.dropFirst())
            let payload = CosignLayout.payload(
                reference: fault == .otherReference ? "\(registry)/someone/else" : repository,
                digest: fault == .otherDigest ? "sha256:" + String(repeating: "ab", count: 32) : digest.description)
            var signature = try await cosign.sign(payload, with: fault == .otherKey ? "other" : "trusted")
            if fault == .flippedByte { signature[signature.count - 1] ^= 0x01 }
            switch layout {
            case .signatureTag:
                let (manifest, blobs) = CosignLayout.signatureManifest(payload: payload, signature: signature)
                try await cosign.push(
                    registry: registry, path: path, reference: SignatureVerifier.cosignTag(for: digest), manifest: manifest,
                    mediaType: "application/vnd.oci.image.manifest.v1+json", blobs: blobs)
            case .referrersTag:
                let artifact = RegistryClient.cosignSignatureArtifact
                let (manifest, blobs) = CosignLayout.signatureManifest(payload: payload, signature: signature, artifactType: artifact)
                try await cosign.push(
                    registry: registry, path: path, reference: Digest.sha256(of: manifest).description, manifest: manifest,
                    mediaType: "application/vnd.oci.image.manifest.v1+json", blobs: blobs)
                try await cosign.push(
                    registry: registry, path: path, reference: SignatureVerifier.referrersTag(for: digest),
                    manifest: CosignLayout.referrersIndex([(manifest, artifact)]), mediaType: "application/vnd.oci.image.index.v1+json", blobs: [])
            case .none: break
            }
        }
        #expect(failed == [false])
        let digest = try #require(synced)
        let app = Application(router: try PlinthApplication.router(catalog: catalog, metrics: PrometheusCollectorRegistry()))
        return try await app.test(.router) { client in
            let response = try await client.execute(uri: "/v1/digests/\(digest)", method: .get)
            #expect(response.status == .ok)
            let body = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
            // The entry's changelog says the same of the digest's signature, and flags it when it waits.
            let changelog = try await client.execute(uri: "/v1/images/amd64/changelog", method: .get)
            let items = (try JSONSerialization.jsonObject(with: Data(buffer: changelog.body)) as? [String: Any])?["items"] as? [[String: Any]] ?? []
            let seen = try #require(items.first { $0["action"] as? String == "digest.seen" && $0["digest"] as? String == digest.description })
            #expect((seen["signature"] as? [String: Any])?["reason"] as? String == (body["signature"] as? [String: Any])?["reason"] as? String)
            let verified = (body["signature"] as? [String: Any])?["verified"] as? Bool ?? false
            #expect(((seen["flags"] as? [String]) ?? []).contains("signature-unverified") == !verified)
            return body
        }
    }

    @Test(arguments: [Layout.signatureTag, .referrersTag])
    func aGoodSignatureByTheTrustedKeyApproves(layout: Layout) async throws {
        let body = try await syncSigned(.none, layout: layout)
        #expect(body["verdict"] as? String == "approved")
        let signature = try #require(body["signature"] as? [String: Any])
        #expect(signature["verified"] as? Bool == true)
        #expect(signature["method"] as? String == "key")
        #expect((signature["signer"] as? String)?.hasPrefix("sha256:") == true)
        if layout == .signatureTag {
            #expect((signature["source"] as? String)?.hasPrefix("tag sha256-") == true && (signature["source"] as? String)?.hasSuffix(".sig") == true)
        } else {
            #expect(signature["source"] as? String == "referrers")
        }
    }

    @Test(arguments: [
        (Fault.otherKey, "no trusted key verifies the signature"), (.flippedByte, "no trusted key verifies the signature"),
        (.otherDigest, "the signature is for sha256:abab"), (.otherReference, "/someone/else', not "),
    ])
    func aSignatureThatDoesNotHoldLeavesTheDigestPending(fault: Fault, reason: String) async throws {
        let body = try await syncSigned(fault, layout: .signatureTag)
        #expect(body["verdict"] as? String == "pending")
        let signature = try #require(body["signature"] as? [String: Any])
        #expect(signature["verified"] as? Bool == false)
        #expect(signature["found"] as? Int == 1)
        #expect((signature["reason"] as? String)?.contains(reason) == true, "\(signature["reason"] ?? "")")
    }

    @Test func noSignatureUnderARequiredPolicyIsPending() async throws {
        let body = try await syncSigned(.none, layout: .none)
        #expect(body["verdict"] as? String == "pending")
        let signature = try #require(body["signature"] as? [String: Any])
        #expect(signature["found"] as? Int == 0)
        #expect((signature["reason"] as? String)?.hasPrefix("no signature found") == true)
    }

    /// The referrers API, which distribution 2.8 does not serve: a fake registry answers it,
    /// and the `.sig` tag is absent there.
    @Test func theReferrersAPIIsReadWhereARegistryServesIt() async throws {
        let cosign = try CosignLayout()
        defer { cosign.remove() }
        let key = try await cosign.makeKey("trusted")
        let fake = FakeRegistry()
        let digest = Digest.sha256(of: Data("an image".utf8))
        try await fake.run { address in
            let payload = CosignLayout.payload(reference: "\(address)/team/app", digest: digest.description)
            let signature = try await cosign.sign(payload, with: "trusted")
            let (manifest, blobs) = CosignLayout.signatureManifest(payload: payload, signature: signature, artifactType: RegistryClient.cosignSignatureArtifact)
            let index = CosignLayout.referrersIndex([(manifest, RegistryClient.cosignSignatureArtifact)])
            fake.script("/v2/team/app/referrers/\(digest)", [.manifest(body: Array(index), mediaType: "application/vnd.oci.image.index.v1+json", digestHeader: nil)])
            fake.script(
                "/v2/team/app/manifests/\(Digest.sha256(of: manifest))",
                [.manifest(body: Array(manifest), mediaType: "application/vnd.oci.image.manifest.v1+json", digestHeader: nil)])
            fake.script("/v2/team/app/blobs/\(Digest.sha256(of: blobs[1]))", [.blob(Array(blobs[1]))])
            let client = RegistryClient()
            let (found, notes) = await client.signatures(of: digest, registry: address, path: "team/app", logger: logger)
            try await client.shutdown()
            #expect(notes.isEmpty, "\(notes)")
            #expect(found.map(\.source) == ["referrers"])
            let check = await SignatureVerifier.check(
                found, digest: digest, repository: "\(address)/team/app", policy: SignaturePolicy(required: true, keys: [key]), trustedRoot: nil, at: Date(),
                normalize: { try? ImageReference(parsing: $0).repository })
            #expect(check.verified, "\(check.reason)")
            // The .sig tag was asked for first, and answered 404.
            #expect(fake.requests.contains { $0.path == "/v2/team/app/manifests/\(SignatureVerifier.cosignTag(for: digest))" })
        }
    }

    /// cosign v3's layout: a Sigstore bundle (a real one, of ghcr.io/kubewarden/kubewarden-controller
    /// v1.34.0) among the digest's referrers, verified keyless against Sigstore's public-good
    /// root built into Plinth, for the identity the policy names; another identity is refused.
    @Test func aKeylessBundleAmongTheReferrersVerifies() async throws {
        let bundle = try Data(
            contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("PlinthCoreTests/Fixtures/sigstore/image/kubewarden-controller-v1.34.0.sigstore.json"))
        let digest = try Digest(parsing: "sha256:c811d58de79c92f03214e63aa339484e488d694ae8a6283b5f3f17a9faf50172")
        let empty = Data("{}".utf8)
        let manifest = Data(
            #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"\#(RegistryClient.sigstoreBundle)","config":{"mediaType":"application/vnd.oci.empty.v1+json","size":2,"digest":"\#(Digest.sha256(of: empty))"},"layers":[{"mediaType":"\#(RegistryClient.sigstoreBundle)","size":\#(bundle.count),"digest":"\#(Digest.sha256(of: bundle))"}],"subject":{"mediaType":"application/vnd.oci.image.index.v1+json","size":1,"digest":"\#(digest)"}}"#
                .utf8)
        let fake = FakeRegistry()
        try await fake.run { address in
            fake.script(
                "/v2/kubewarden/kubewarden-controller/referrers/\(digest)",
                [.manifest(body: Array(CosignLayout.referrersIndex([(manifest, RegistryClient.sigstoreBundle)])), mediaType: "application/vnd.oci.image.index.v1+json", digestHeader: nil)])
            fake.script(
                "/v2/kubewarden/kubewarden-controller/manifests/\(Digest.sha256(of: manifest))",
                [.manifest(body: Array(manifest), mediaType: "application/vnd.oci.image.manifest.v1+json", digestHeader: nil)])
            fake.script("/v2/kubewarden/kubewarden-controller/blobs/\(Digest.sha256(of: bundle))", [.blob(Array(bundle))])
            let client = RegistryClient()
            let (found, notes) = await client.signatures(of: digest, registry: address, path: "kubewarden/kubewarden-controller", logger: logger)
            try await client.shutdown()
            #expect(notes.isEmpty, "\(notes)")
            let release = SigstoreIdentity(
                issuer: "https://token.actions.githubusercontent.com",
                subjectRegex: #"https://github\.com/kubewarden/kubewarden-controller/\.github/workflows/release\.yml@refs/tags/v.+"#)
            func check(_ identity: SigstoreIdentity) async -> SignatureCheck {
                await SignatureVerifier.check(
                    found, digest: digest, repository: "\(address)/kubewarden/kubewarden-controller",
                    policy: SignaturePolicy(required: true, keys: [], identities: [identity]), trustedRoot: try? .publicGood(), at: Date(),
                    normalize: { try? ImageReference(parsing: $0).repository })
            }
            let verified = await check(release)
            #expect(verified.verified, "\(verified.reason)")
            #expect(verified.method == "keyless")
            #expect(verified.signer == "https://github.com/kubewarden/kubewarden-controller/.github/workflows/release.yml@refs/tags/v1.34.0 (https://token.actions.githubusercontent.com)")
            let stranger = await check(SigstoreIdentity(issuer: "https://token.actions.githubusercontent.com", subject: "https://github.com/someone/else"))
            #expect(!stranger.verified)
            #expect(stranger.reason.contains("not an identity the entry trusts"), "\(stranger.reason)")
        }
    }

    /// A policy is checked when the entry is written: a key that is not a P-256 PEM, a required
    /// policy with no key or identity, an identity with no subject or a regular expression
    /// that does not compile are refused, naming the field.
    @Test func anEntryWithABadSignaturePolicyIsRefused() async throws {
        let (database, catalog) = try await TestDatabase.seeded()
        for (policy, field) in [
            (#"{"required":true,"keys":["not a key"]}"#, "signatures.keys[0]"), (#"{"required":true}"#, "signatures.keys"),
            (#"{"required":true,"identities":[{"issuer":"https://accounts.google.com","subject_regex":"(unclosed"}]}"#, "signatures.identities[0].subject_regex"),
            (#"{"required":true,"identities":[{"issuer":"https://accounts.google.com"}]}"#, "signatures.identities[0]"),
        ] {
            let document = #"""
                {"name":"signed","title":"S","repository":"example.org/signed","tags":["v1"],"status":"approved",
                 "os":{"family":"debian","version":"12"},"platforms":["linux/amd64"],"workloads":[],"owner":"t","rationale":"r",
                 "approval":{"policy":"automatic","grace_days":7},"signatures":\#(policy)}
                """#
            await #expect {
                _ = try await catalog.createImage(document: Data(document.utf8), actor: "t", reason: nil)
            } throws: { error in
                "\(error)".contains(field)
            }
        }
        #expect(try await catalog.store.entry(named: "signed") == nil)
        _ = database
    }
}
