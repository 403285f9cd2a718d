import Foundation
import PlinthCore
import PlinthTestSupport
import Testing

/// Admission control in the controllers' own protocols, against `plinth serve` over TLS on a
/// catalog synced from the real test registry: OPA Gatekeeper's external data provider
/// (ProviderRequest in, ProviderResponse out, TLS 1.3 only, mutual TLS), and the Kyverno
/// ClusterPolicy of examples/, validated against its CRD's schema and evaluated against Plinth.
@Suite("Admission control", .serialized)
struct AdmissionTests {
    /// A catalog whose one entry is a base on the test registry, synced, and application
    /// images beside it: one built on the base, one built on another image that claims it.
    struct Setup {
        var registries: TestRegistries
        var db: String
        var base: String
        var app: String
        var baseDigest: String
        var appDigest: String
        var directory: URL

        func reference(_ repository: String, _ tag: String) -> String { "\(registries.anonymous)/\(repository):\(tag)" }
    }

    static func setUp() async throws -> Setup {
        let registries = try await TestRegistries.shared()
        let suffix = UUID().uuidString.lowercased().prefix(8)
        let base = "fixtures/base-\(suffix)", app = "fixtures/app-\(suffix)"
        try await registries.push("amd64", to: registries.anonymous, repository: base, tag: "v1")
        for tag in ["app", "app-spoofed"] { try await registries.push(tag, to: registries.anonymous, repository: app, tag: tag) }
        let directory = try Fixtures.directory([
            "catalog/base.yaml": Fixtures.baseEntry(repository: "\(registries.anonymous)/\(base)")
        ])
        let db = try await TestBackend.newLocation(in: directory)
        let apply = try await PlinthBinary.run(["apply", directory.appendingPathComponent("catalog").path, "--db", db])
        #expect(apply.status == 0, "\(apply.stderr)")
        let sync = try await PlinthBinary.run(["sync", "--db", db])
        #expect(sync.status == 0, "\(sync.stdout)\(sync.stderr)")
        func digest(_ repository: String, _ tag: String) async throws -> String {
            Digest.compute(.sha256, of: Array(try await registries.rawManifest(registries.anonymous, repository, tag))).description
        }
        return Setup(
            registries: registries, db: db, base: base, app: app, baseDigest: try await digest(base, "v1"), appDigest: try await digest(app, "app"),
            directory: directory)
    }

    static func object(_ data: Data) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "\(String(decoding: data, as: UTF8.self))")
    }

    /// A ProviderRequest as Gatekeeper sends it.
    static func providerRequest(_ keys: [String], kind: String = "ProviderRequest") throws -> Data {
        try JSONSerialization.data(withJSONObject: [
            "apiVersion": "externaldata.gatekeeper.sh/v1beta1", "kind": kind, "request": ["keys": keys],
        ])
    }

    @Test func gatekeeperAsksOverTLS13WithAClientCertificateAndGetsAProviderResponse() async throws {
        let setup = try await Self.setUp()
        let pki = try await TestPKI.make()
        let trusted = ["--cacert", pki.authority]
        let server = try await ServeProcess(
            db: setup.db, arguments: ["--tls-cert", pki.serverCertificate, "--tls-key", pki.serverKey, "--tls-client-ca", pki.authority],
            scheme: "https", curlOptions: trusted + ["--tlsv1.3", "--cert", pki.clientCertificate, "--key", pki.clientKey])
        defer { server.stop() }

        let keys = [
            setup.reference(setup.app, "app"),  // built on the approved base
            setup.reference(setup.base, "v1"),  // the base itself, by tag
            setup.reference(setup.app, "app-spoofed"),  // claims the base; its layers say otherwise
            "UPPER/Case",  // not a reference
            "127.0.0.1:1/nothing/here:v1",  // no registry answers
        ]
        let (status, body) = try await server.post("/v1/admission/gatekeeper", json: try Self.providerRequest(keys))
        #expect(status == 200, "\(String(decoding: body, as: UTF8.self))")
        let answer = try Self.object(body)
        #expect(answer["apiVersion"] as? String == "externaldata.gatekeeper.sh/v1beta1")
        #expect(answer["kind"] as? String == "ProviderResponse")
        let response = try #require(answer["response"] as? [String: Any])
        #expect(response["idempotent"] as? Bool == true)
        #expect(response["systemError"] == nil)
        let items = try #require(response["items"] as? [[String: Any]])
        #expect(items.map { $0["key"] as? String } == keys)
        guard items.count == keys.count else { return }
        func value(_ n: Int) -> [String: Any] { items[n]["value"] as? [String: Any] ?? [:] }

        #expect(items[0]["error"] == nil)
        #expect(value(0)["passes"] as? Bool == true)
        #expect(value(0)["verdict"] as? String == "approved")
        #expect(value(0)["digest"] as? String == setup.baseDigest)
        #expect(value(0)["image_digest"] as? String == setup.appDigest)
        #expect((value(0)["reason"] as? String)?.hasPrefix("built on fixture-base") == true)

        #expect(value(1)["passes"] as? Bool == true)
        #expect(value(1)["digest"] as? String == setup.baseDigest)

        #expect(items[2]["error"] == nil)
        #expect(value(2)["passes"] as? Bool == false)
        let spoofed = value(2)["reason"] as? String ?? ""
        #expect(spoofed.contains("its layers match no cataloged base, though it claims \(setup.baseDigest)"), "\(spoofed)")

        #expect(items[3]["value"] == nil)
        #expect((items[3]["error"] as? String)?.hasPrefix("not an image reference") == true)
        #expect(items[4]["value"] == nil)
        #expect((items[4]["error"] as? String)?.hasPrefix("could not read the image") == true)

        // Not a ProviderRequest: Gatekeeper reads systemError.
        let (_, wrong) = try await server.post("/v1/admission/gatekeeper", json: try Self.providerRequest([], kind: "AdmissionReview"))
        let wrongResponse = try Self.object(wrong)["response"] as? [String: Any]
        #expect(wrongResponse?["systemError"] as? String == "kind must be ProviderRequest, not AdmissionReview")
        #expect((wrongResponse?["items"] as? [Any])?.isEmpty == true)

        // The image admitted is recorded on its base.
        let (dependentsStatus, dependentsBody) = try await server.get("/v1/digests/\(setup.baseDigest)/dependents")
        #expect(dependentsStatus == 200)
        let dependents = try Self.object(dependentsBody)["dependents"] as? [[String: Any]] ?? []
        #expect(dependents.count == 1)
        #expect(dependents.first?["manifest"] as? String == setup.appDigest)
        #expect(dependents.first?["repository"] as? String == "\(setup.registries.anonymous)/\(setup.app)")
        #expect(dependents.first?["source"] as? String == "admission")

        // TLS 1.2 is refused; so is a client without a certificate, or with one from another authority.
        let request = ["-o", "/dev/null", "-w", "%{http_code}", "\(server.url)/readyz"]
        let (tls12, tls12Status, _) = try await TestRegistries.capture(
            "curl", ["-s", "--max-time", "10"] + trusted + ["--tlsv1.2", "--tls-max", "1.2", "--cert", pki.clientCertificate, "--key", pki.clientKey] + request)
        #expect(!tls12 && String(decoding: tls12Status, as: UTF8.self) == "000")
        let (anonymous, anonymousStatus, _) = try await TestRegistries.capture("curl", ["-s", "--max-time", "10", "--tlsv1.3"] + trusted + request)
        #expect(!anonymous && String(decoding: anonymousStatus, as: UTF8.self) == "000")
        let (stranger, strangerStatus, _) = try await TestRegistries.capture(
            "curl", ["-s", "--max-time", "10", "--tlsv1.3"] + trusted + ["--cert", pki.strangerCertificate, "--key", pki.strangerKey] + request)
        #expect(!stranger && String(decoding: strangerStatus, as: UTF8.self) == "000")
        // And what is allowed does get through on TLS 1.3 with the client's certificate.
        #expect(try await server.curl(request).output == "200")
    }

    @Test func tlsOptionsThatCannotWorkAreRefusedBeforeListening() async throws {
        let pki = try await TestPKI.make()
        let directory = try Fixtures.directory(["README": "a catalog for the test\n"])
        let db = directory.appendingPathComponent("plinth.sqlite").path
        let keyless = try await PlinthBinary.run(["serve", "--db", db, "--tls-cert", pki.serverCertificate])
        #expect(keyless.status == 2)
        #expect(keyless.stderr.contains("--tls-cert needs --tls-key"), "\(keyless.stderr)")
        let swapped = try await PlinthBinary.run(["serve", "--db", db, "--tls-cert", pki.serverKey, "--tls-key", pki.serverKey])
        #expect(swapped.status == 2)
        #expect(swapped.stderr.contains("--tls-cert '\(pki.serverKey)': not a readable PEM certificate"), "\(swapped.stderr)")
        let lonelyCA = try await PlinthBinary.run(["serve", "--db", db, "--tls-client-ca", pki.authority])
        #expect(lonelyCA.stderr.contains("--tls-client-ca needs --tls-cert and --tls-key"), "\(lonelyCA.stderr)")
    }

    @Test func theKyvernoPolicyValidatesAndDeniesAPodWhoseRealBaseIsNotApproved() async throws {
        let root = TestRegistries.repositoryRoot
        let script = root.appendingPathComponent("scripts/kyverno-policy.py").path
        let policy = root.appendingPathComponent("examples/kyverno/plinth-clusterpolicy.yaml").path
        let schema = root.appendingPathComponent("Tests/PlinthCLITests/Fixtures/kyverno/clusterpolicy-v1.schema.json").path
        let python = try await TestRegistries.documentValidatorsPython()

        let (valid, validation) = try await TestRegistries.run(python, [script, "validate", policy, schema])
        #expect(valid && validation.contains("valid"), "\(validation)")
        // The schema does refuse a broken policy: an apiCall method Kyverno does not have.
        let broken = try String(contentsOfFile: policy, encoding: .utf8).replacingOccurrences(of: "method: POST", with: "method: PUT")
        let brokenPath = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-broken-\(UUID().uuidString).yaml").path
        try broken.write(toFile: brokenPath, atomically: true, encoding: .utf8)
        let (brokenValid, brokenOutput) = try await TestRegistries.run(python, [script, "validate", brokenPath, schema])
        #expect(!brokenValid && brokenOutput.contains("method"), "\(brokenOutput)")

        let setup = try await Self.setUp()
        let pki = try await TestPKI.make()
        let server = try await ServeProcess(
            db: setup.db, arguments: ["--tls-cert", pki.serverCertificate, "--tls-key", pki.serverKey], scheme: "https",
            curlOptions: ["--cacert", pki.authority])
        defer { server.stop() }
        // Under TLS the pages' cookies are Secure (and still HttpOnly, SameSite=Strict).
        let headers = try await server.curl(["-D", "-", "-o", "/dev/null", "\(server.url)/signin"]).output.lowercased()
        let cookie = headers.split(separator: "\r\n").first { $0.hasPrefix("set-cookie:") }.map(String.init) ?? ""
        #expect(cookie.contains("; secure") && cookie.contains("; httponly") && cookie.contains("samesite=strict"), "\(headers)")

        func admit(_ containers: [String], initContainers: [String] = []) async throws -> [String: Any] {
            let pod: [String: Any] = [
                "apiVersion": "v1", "kind": "Pod", "metadata": ["name": "web", "namespace": "default"],
                "spec": [
                    "containers": containers.enumerated().map { ["name": "c\($0.offset)", "image": $0.element] },
                    "initContainers": initContainers.enumerated().map { ["name": "i\($0.offset)", "image": $0.element] },
                ],
            ]
            let podPath = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-pod-\(UUID().uuidString).json")
            try JSONSerialization.data(withJSONObject: pod).write(to: podPath)
            let (ok, output) = try await TestRegistries.run(
                python, [script, "admit", policy, podPath.path, "--url", "\(server.url)/v1/check", "--cacert", pki.authority])
            #expect(ok, "\(output)")
            return try Self.object(Data((output.split(separator: "\n").last ?? "").utf8))
        }

        let app = setup.reference(setup.app, "app"), base = setup.reference(setup.base, "v1")
        let allowed = try await admit([app], initContainers: [base])
        #expect(allowed["allowed"] as? Bool == true, "\(allowed)")
        let elements = allowed["elements"] as? [[String: Any]] ?? []
        #expect(elements.count == 2)
        // The body Kyverno sends for an element, and what its jmesPath made of the answer.
        let first = elements.first { ($0["element"] as? [String: Any])?["image"] as? String == app }
        #expect(first?["request"] as? NSDictionary == ["items": [], "images": [app]] as NSDictionary)
        let judged = (first?["context"] as? [String: Any])?["plinth"] as? [String: Any]
        #expect(judged?["digest"] as? String == setup.baseDigest)
        #expect(judged?["passes"] as? Bool == true)

        // The spoofed image claims the approved base by annotation; its layers say otherwise.
        let denied = try await admit([app, setup.reference(setup.app, "app-spoofed")])
        #expect(denied["allowed"] as? Bool == false, "\(denied)")
        let deniedImages = (denied["elements"] as? [[String: Any]] ?? []).filter { $0["denied"] as? Bool == true }
            .compactMap { ($0["element"] as? [String: Any])?["image"] as? String }
        #expect(deniedImages == [setup.reference(setup.app, "app-spoofed")])
    }
}
