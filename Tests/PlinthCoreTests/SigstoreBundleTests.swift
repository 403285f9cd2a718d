import Foundation
import PlinthCore
import PlinthTestSupport
import Testing

/// Keyless verification of real Sigstore bundles (Fixtures/sigstore, with their sources):
/// the sigstore-conformance cases verify or fail as the suite says, tampered copies fail, and
/// sigstore-python's own `sigstore verify identity` (PyPI, offline, with the same trusted
/// root) agrees with Plinth on every one of them.
@Suite("Sigstore bundles", .serialized)
struct SigstoreBundleTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/sigstore")
    static let conformance = fixtures.appendingPathComponent("conformance")
    static let beacon = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
    static let actions = "https://token.actions.githubusercontent.com"

    /// One verification to make: a bundle, what it signs, who must have signed it, under which root.
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var bundle: Data
        var artifact: Data
        var identity: String
        var issuer: String
        var root: String
        var shouldVerify: Bool
        var testDescription: String { name }
    }

    static func text(_ url: URL) -> String? {
        (try? String(contentsOf: url, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func conformanceCases() throws -> [Case] {
        let names = try FileManager.default.contentsOfDirectory(atPath: conformance.path).filter { !$0.contains(".") }.sorted()
        return try names.map { name in
            let folder = conformance.appendingPathComponent(name)
            let artifact = FileManager.default.fileExists(atPath: folder.appendingPathComponent("artifact").path)
                ? folder.appendingPathComponent("artifact") : conformance.appendingPathComponent("a.txt")
            return Case(
                name: name, bundle: try Data(contentsOf: folder.appendingPathComponent("bundle.sigstore.json")), artifact: try Data(contentsOf: artifact),
                identity: text(folder.appendingPathComponent("identity")) ?? beacon, issuer: text(folder.appendingPathComponent("issuer")) ?? actions,
                root: "production", shouldVerify: !name.hasSuffix("_fail"))
        }
    }

    /// Copies of a good bundle with one thing wrong each, and the staging bundles of sigstore-python's tests.
    static func tamperedCases() throws -> [Case] {
        let good = try Data(contentsOf: conformance.appendingPathComponent("happy-path-v0.3/bundle.sigstore.json"))
        let artifact = try Data(contentsOf: conformance.appendingPathComponent("a.txt"))
        func edited(_ change: (inout [String: Any]) -> Void) throws -> Data {
            var object = try #require(try JSONSerialization.jsonObject(with: good) as? [String: Any])
            change(&object)
            return try JSONSerialization.data(withJSONObject: object)
        }
        func flipped(_ base64: String) -> String {
            var bytes = Array(Data(base64Encoded: base64)!)
            bytes[bytes.count / 2] ^= 0x01
            return Data(bytes).base64EncodedString()
        }
        func entry(_ object: inout [String: Any], _ change: (inout [String: Any]) -> Void) {
            var material = object["verificationMaterial"] as! [String: Any]
            var entries = material["tlogEntries"] as! [[String: Any]]
            change(&entries[0])
            material["tlogEntries"] = entries
            object["verificationMaterial"] = material
        }
        let python = fixtures.appendingPathComponent("sigstore-python")
        return [
            Case(name: "good copy", bundle: good, artifact: artifact, identity: beacon, issuer: actions, root: "production", shouldVerify: true),
            Case(
                name: "signature with a flipped byte",
                bundle: try edited { object in
                    var message = object["messageSignature"] as! [String: Any]
                    message["signature"] = flipped(message["signature"] as! String)
                    object["messageSignature"] = message
                }, artifact: artifact, identity: beacon, issuer: actions, root: "production", shouldVerify: false),
            Case(
                name: "signed entry timestamp with a flipped byte",
                bundle: try edited { object in
                    entry(&object) { e in
                        var promise = e["inclusionPromise"] as! [String: Any]
                        promise["signedEntryTimestamp"] = flipped(promise["signedEntryTimestamp"] as! String)
                        e["inclusionPromise"] = promise
                    }
                }, artifact: artifact, identity: beacon, issuer: actions, root: "production", shouldVerify: false),
            Case(
                name: "inclusion proof hash with a flipped byte",
                bundle: try edited { object in
                    entry(&object) { e in
                        var proof = e["inclusionProof"] as! [String: Any]
                        var hashes = proof["hashes"] as! [String]
                        hashes[0] = flipped(hashes[0])
                        proof["hashes"] = hashes
                        e["inclusionProof"] = proof
                    }
                }, artifact: artifact, identity: beacon, issuer: actions, root: "production", shouldVerify: false),
            Case(
                name: "another artifact", bundle: good, artifact: Data("not a.txt\n".utf8), identity: beacon, issuer: actions, root: "production",
                shouldVerify: false),
            Case(
                name: "another identity", bundle: good, artifact: artifact, identity: "https://github.com/someone/else/.github/workflows/x.yml@refs/heads/main",
                issuer: actions, root: "production", shouldVerify: false),
            Case(
                name: "another issuer", bundle: good, artifact: artifact, identity: beacon, issuer: "https://accounts.google.com", root: "production",
                shouldVerify: false),
            Case(
                name: "a staging bundle under the production root", bundle: try Data(contentsOf: python.appendingPathComponent("bundle_v3.txt.sigstore")),
                artifact: try Data(contentsOf: python.appendingPathComponent("bundle_v3.txt")), identity: "william@yossarian.net",
                issuer: "https://github.com/login/oauth", root: "production", shouldVerify: false),
            Case(
                name: "a staging bundle under the staging root (e-mail identity)",
                bundle: try Data(contentsOf: python.appendingPathComponent("bundle_v3.txt.sigstore")),
                artifact: try Data(contentsOf: python.appendingPathComponent("bundle_v3.txt")), identity: "william@yossarian.net",
                issuer: "https://github.com/login/oauth", root: "staging", shouldVerify: true),
            Case(
                name: "a log entry from another signing (CVE-2022-36056)",
                bundle: try Data(contentsOf: python.appendingPathComponent("bundle_cve_2022_36056.txt.sigstore")),
                artifact: try Data(contentsOf: python.appendingPathComponent("bundle_cve_2022_36056.txt")), identity: "william@yossarian.net",
                issuer: "https://github.com/login/oauth", root: "staging", shouldVerify: false),
        ]
    }

    static func root(_ name: String) throws -> SigstoreTrustedRoot {
        try SigstoreTrustedRoot(json: Data(contentsOf: fixtures.appendingPathComponent("trusted-root/\(name).trusted_root.json")))
    }

    /// Plinth's verdict: nil when it verifies, else why not.
    static func plinth(_ c: Case) async throws -> String? {
        do {
            let bundle = try SigstoreBundle(json: c.bundle)
            _ = try await SigstoreVerifier.verify(
                bundle, artifact: .bytes(Array(c.artifact)), identities: [SigstoreIdentity(issuer: c.issuer, subject: c.identity)], trustedRoot: try root(c.root))
            return nil
        } catch let failure as SigstoreFailure {
            return failure.description
        }
    }

    @Test(arguments: try conformanceCases())
    func conformanceCase(_ c: Case) async throws {
        let failure = try await Self.plinth(c)
        #expect((failure == nil) == c.shouldVerify, "\(c.name): \(failure ?? "verified")")
    }

    @Test(arguments: try tamperedCases())
    func tamperedCopy(_ c: Case) async throws {
        let failure = try await Self.plinth(c)
        #expect((failure == nil) == c.shouldVerify, "\(c.name): \(failure ?? "verified")")
    }

    @Test func theShippedRootIsSigstoresPublicGoodRoot() throws {
        let shipped = try SigstoreTrustedRoot.publicGood()
        let production = try Self.root("production")
        #expect(shipped.logs.map(\.keyID) == production.logs.map(\.keyID))
        #expect(shipped.authorities.map(\.certificates) == production.authorities.map(\.certificates))
    }

    /// cosign v3's bundle of a real image (a DSSE envelope of an in-toto statement about the
    /// image digest), as Plinth finds it among an image's referrers.
    @Test func aCosignImageBundleVerifiesForItsDigestOnly() async throws {
        let bundle = try SigstoreBundle(json: Data(contentsOf: Self.fixtures.appendingPathComponent("image/kubewarden-controller-v1.34.0.sigstore.json")))
        let identity = SigstoreIdentity(
            issuer: Self.actions, subjectRegex: #"https://github\.com/kubewarden/kubewarden-controller/\.github/workflows/release\.yml@refs/tags/v.*"#)
        let digest = try Digest(parsing: "sha256:c811d58de79c92f03214e63aa339484e488d694ae8a6283b5f3f17a9faf50172")
        let verified = try await SigstoreVerifier.verify(bundle, artifact: .subject(digest), identities: [identity], trustedRoot: try Self.root("production"))
        #expect(verified.subject == "https://github.com/kubewarden/kubewarden-controller/.github/workflows/release.yml@refs/tags/v1.34.0")
        #expect(verified.issuer == Self.actions)
        let other = try Digest(parsing: "sha256:" + String(repeating: "0", count: 64))
        await #expect(throws: SigstoreFailure("the signed statement is about another artifact")) {
            _ = try await SigstoreVerifier.verify(bundle, artifact: .subject(other), identities: [identity], trustedRoot: try Self.root("production"))
        }
        await #expect(throws: SigstoreFailure.self) {
            _ = try await SigstoreVerifier.verify(
                bundle, artifact: .subject(digest), identities: [SigstoreIdentity(issuer: Self.actions, subject: "someone")],
                trustedRoot: try Self.root("production"))
        }
    }

    /// sigstore-python (`sigstore verify identity`, offline, with the same trusted root as a
    /// trust config) decides every case as Plinth does.
    @Test func sigstorePythonAgrees() async throws {
        let python = try await TestRegistries.documentValidatorsPython()
        let sigstore = URL(fileURLWithPath: python).deletingLastPathComponent().appendingPathComponent("sigstore").path
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-sigstore-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var compared = 0
        for (n, c) in try (Self.conformanceCases() + Self.tamperedCases()).enumerated() {
            let bundle = folder.appendingPathComponent("\(n).sigstore.json"), artifact = folder.appendingPathComponent("\(n).artifact")
            try c.bundle.write(to: bundle)
            try c.artifact.write(to: artifact)
            let config = Self.fixtures.appendingPathComponent("trusted-root/\(c.root).clienttrustconfig.json").path
            let (ok, output) = try await TestRegistries.run(
                sigstore, [
                    "--trust-config", config, "verify", "identity", "--bundle", bundle.path, "--cert-identity", c.identity, "--cert-oidc-issuer", c.issuer,
                    artifact.path,
                ])
            let ours = try await Self.plinth(c)
            #expect(ok == (ours == nil), "\(c.name): sigstore-python \(ok ? "verified" : "refused: \(output.suffix(300))"); Plinth \(ours ?? "verified")")
            compared += 1
        }
        #expect(compared >= 35)
    }
}
