import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import PlinthCatalog
import PlinthCore
import PlinthTestSupport
import Prometheus
import Testing

@testable import PlinthServer

/// SBOMs and VEX documents as scanners and auditors get them, checked by the validators the
/// formats' own maintainers publish (spdx-tools, cyclonedx-python-lib, OpenVEX's JSON schema;
/// scripts/validate-documents.py), and against the packages Plinth lists for the same digest.
@Suite("provenance exports", .serialized)
struct ProvenanceExportTests {
    let logger = Logger(label: "test.provenance")

    /// Runs the validator of `kind` over the documents; its output, and whether all passed.
    static func validate(_ kind: String, _ documents: [Data]) async throws -> (Bool, String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-documents-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var paths: [String] = []
        for (n, document) in documents.enumerated() {
            let path = folder.appendingPathComponent("\(n).json").path
            try document.write(to: URL(fileURLWithPath: path))
            paths.append(path)
        }
        let script = TestRegistries.repositoryRoot.appendingPathComponent("scripts/validate-documents.py").path
        return try await TestRegistries.run(try await TestRegistries.documentValidatorsPython(), [script, kind] + paths)
    }

    static func get(_ client: some TestClientProtocol, _ uri: String) async throws -> (HTTPResponse.Status, Data, String?) {
        let response = try await client.execute(uri: uri, method: .get)
        return (response.status, Data(buffer: response.body), response.headers[.contentType])
    }

    static func json(_ data: Data) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// Every seeded digest whose packages are known: both SBOMs validate, and each lists every
    /// package `GET /v1/digests/{digest}/packages` lists, by purl.
    @Test func seededSBOMsValidateAndListEveryPackage() async throws {
        let (database, catalog) = try await TestDatabase.seeded()
        let app = Application(router: try PlinthApplication.router(catalog: catalog, metrics: PrometheusCollectorRegistry()))
        let (spdx, cyclonedx) = try await app.test(.router) { client in
            var spdx: [Data] = [], cyclonedx: [Data] = []
            var digests: [String] = []
            for entry in try await catalog.entries() {
                for current in try await catalog.image(named: entry.entry.name).current {
                    if let digest = current.digest?.description, !digests.contains(digest) { digests.append(digest) }
                }
            }
            for digest in digests {
                let (status, body, _) = try await Self.get(client, "/v1/digests/\(digest)/packages")
                #expect(status == .ok)
                let listed = try (Self.json(body)["manifests"] as? [[String: Any]] ?? []).flatMap { $0["packages"] as? [[String: Any]] ?? [] }
                let (spdxStatus, spdxBody, spdxType) = try await Self.get(client, "/v1/digests/\(digest)/sbom?format=spdx")
                if listed.isEmpty {
                    #expect(spdxStatus == .notFound, "\(digest) has no packages: its SBOM is refused, not empty")
                    continue
                }
                #expect(spdxStatus == .ok)
                #expect(spdxType?.hasPrefix("application/spdx+json") == true)
                let (cdxStatus, cdxBody, cdxType) = try await Self.get(client, "/v1/digests/\(digest)/sbom?format=cyclonedx")
                #expect(cdxStatus == .ok)
                #expect(cdxType?.hasPrefix("application/vnd.cyclonedx+json") == true)
                spdx.append(spdxBody)
                cyclonedx.append(cdxBody)

                let spdxPackages = try Self.json(spdxBody)["packages"] as? [[String: Any]] ?? []
                let libraries = spdxPackages.filter { $0["primaryPackagePurpose"] as? String == "LIBRARY" }
                #expect(libraries.count == listed.count, "\(digest): every package listed, once")
                #expect(Set(libraries.map { "\($0["name"] as? String ?? "") \($0["versionInfo"] as? String ?? "")" })
                    == Set(listed.map { "\($0["name"] as? String ?? "") \($0["version"] as? String ?? "")" }))
                let purls = libraries.compactMap { ($0["externalRefs"] as? [[String: Any]])?.first?["referenceLocator"] as? String }
                #expect(purls.count == libraries.count && purls.allSatisfy { $0.hasPrefix("pkg:deb/") || $0.hasPrefix("pkg:apk/") || $0.hasPrefix("pkg:rpm/") })
                let components = try Self.json(cdxBody)["components"] as? [[String: Any]] ?? []
                #expect(components.filter { $0["type"] as? String == "library" }.compactMap { $0["purl"] as? String }.sorted() == purls.sorted())
                // The same document each time.
                #expect(try await Self.get(client, "/v1/digests/\(digest)/sbom?format=spdx").1 == spdxBody)
            }
            #expect(spdx.count >= 5, "the seed catalog has packages for at least five digests")

            // A digest of Debian 12: its packages' purls as the purl spec writes deb packages.
            let (_, bookworm, _) = try await Self.get(client, "/v1/digests/\(Fixtures.bookwormSlimIndex)/sbom?format=spdx&platform=linux/amd64")
            let locators = (try Self.json(bookworm)["packages"] as? [[String: Any]] ?? []).compactMap {
                ($0["externalRefs"] as? [[String: Any]])?.first?["referenceLocator"] as? String
            }
            #expect(locators.contains("pkg:deb/debian/libc6@2.36-9%2Bdeb12u14?arch=amd64&distro=debian-12&upstream=glibc"))
            #expect(locators.first?.hasPrefix("pkg:oci/debian@sha256%3A") == true)

            // Bad input: an unknown digest, a format it does not write, a platform the index lacks.
            #expect(try await Self.get(client, "/v1/digests/\(Fixtures.unknownDigest)/sbom?format=spdx").0 == .notFound)
            #expect(try await Self.get(client, "/v1/digests/\(Fixtures.bookwormSlimIndex)/sbom?format=swid").0 == .badRequest)
            #expect(try await Self.get(client, "/v1/digests/\(Fixtures.bookwormSlimIndex)/sbom?format=spdx&platform=linux/s390x").0 == .notFound)
            return (spdx, cyclonedx)
        }
        let (spdxValid, spdxOutput) = try await Self.validate("spdx", spdx)
        #expect(spdxValid, "\(spdxOutput)")
        let (cdxValid, cdxOutput) = try await Self.validate("cyclonedx", cyclonedx)
        #expect(cdxValid, "\(cdxOutput)")

        // The validators do refuse what is wrong: a package without its SPDXID, a component of no type.
        var broken = try Self.json(try #require(spdx.first))
        var packages = broken["packages"] as? [[String: Any]] ?? []
        packages[packages.count - 1]["SPDXID"] = "not an id"
        broken["packages"] = packages
        #expect(try await Self.validate("spdx", [JSONSerialization.data(withJSONObject: broken)]).0 == false)
        var brokenBOM = try Self.json(try #require(cyclonedx.first))
        var components = brokenBOM["components"] as? [[String: Any]] ?? []
        components[0]["type"] = "gadget"
        brokenBOM["components"] = components
        #expect(try await Self.validate("cyclonedx", [JSONSerialization.data(withJSONObject: brokenBOM)]).0 == false)
        _ = database
    }

    /// Fixture images synced from the real test registry (dpkg, apk, and rpm databases read
    /// from their layers): their SBOMs validate and carry each package's purl.
    @Test(arguments: [
        ("debian-pkgs", ("ubuntu", "18.04"), "pkg:deb/ubuntu/"), ("alpine-pkgs", ("alpine", "3.16"), "pkg:apk/alpine/"),
        ("rpmbuild-ubi", ("rhel", "9.2"), "pkg:rpm/redhat/podman@4.4.1-20.el9_2?arch=x86_64&distro=rhel-9.2&epoch=2&upstream=podman-4.4.1-20.el9_2.src.rpm"),
    ])
    func fixtureSBOMsValidate(fixture: String, os: (String, String), purl: String) async throws {
        let registries = try await TestRegistries.shared()
        let (database, catalog, synced, failed) = try await registries.syncedFixture(fixture, os: os, logger: logger)
        #expect(failed == [false])
        let digest = try #require(synced)
        let app = Application(router: try PlinthApplication.router(catalog: catalog, metrics: PrometheusCollectorRegistry()))
        let documents = try await app.test(.router) { client in
            var documents: [String: Data] = [:]
            for format in ["spdx", "cyclonedx"] {
                let (status, body, _) = try await Self.get(client, "/v1/digests/\(digest)/sbom?format=\(format)")
                #expect(status == .ok)
                documents[format] = body
            }
            return documents
        }
        let cdx = try Self.json(try #require(documents["cyclonedx"]))
        let purls = (cdx["components"] as? [[String: Any]] ?? []).compactMap { $0["purl"] as? String }
        #expect(purls.contains { $0.hasPrefix(purl) }, "\(purls.prefix(5))")
        #expect(try await Self.validate("spdx", [try #require(documents["spdx"])]).0)
        #expect(try await Self.validate("cyclonedx", [try #require(documents["cyclonedx"])]).0)
        _ = database
    }

    /// An entry's exceptions as OpenVEX: valid against OpenVEX's schema, one statement per
    /// exception in force, with the justification the curator gave and the packages named.
    @Test func vexCarriesTheCuratorsExceptions() async throws {
        let (database, catalog) = try await TestDatabase.seeded()
        let osv = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("PlinthCatalogTests/Fixtures/osv/ubuntu")
        _ = try await catalog.importAdvisories(try AdvisorySource.files(at: osv.path))
        let current = try #require(try await catalog.image(named: "ubuntu-22-04").current.first?.digest)
        let findings = try await catalog.advisories(of: current).findings
        let first = try #require(findings.first, "the Ubuntu fixture records affect ubuntu:22.04")
        let app = Application(router: try PlinthApplication.router(catalog: catalog, metrics: PrometheusCollectorRegistry()))
        try await app.test(.router) { client in
            let (none, _, _) = try await Self.get(client, "/v1/images/ubuntu-22-04/vex")
            #expect(none == .notFound, "no exceptions yet: no document")
            let (unknown, _, _) = try await Self.get(client, "/v1/images/no-such-image/vex")
            #expect(unknown == .notFound)
        }
        try await catalog.exceptAdvisory(
            first.advisoryID, image: "ubuntu-22-04", expires: Fixtures.now.addingTimeInterval(86_400 * 30),
            justification: .vulnerableCodeNotInExecutePath, actor: "alice", reason: "the daemon is never started in our images")
        if let second = findings.first(where: { $0.advisoryID != first.advisoryID }) {
            try await catalog.exceptAdvisory(
                second.advisoryID, image: "ubuntu-22-04", expires: Fixtures.now.addingTimeInterval(86_400), actor: "bob",
                reason: "mitigated by our seccomp profile")
        }
        // A justification outside OpenVEX's list is refused by the API and changes nothing.
        try await app.test(.router) { client in
            let token = try await catalog.createToken(name: "vex-curator", role: .curator, expires: nil, actor: "setup").0.description
            let body = #"{"advisory":"\#(first.advisoryID)","reason":"x","expires_at":"2027-01-01T00:00:00Z","justification":"it_is_fine"}"#
            let response = try await client.execute(
                uri: "/v1/images/ubuntu-22-04/advisory-exceptions", method: .post,
                headers: [.authorization: "Bearer \(token)", .contentType: "application/json"], body: ByteBuffer(string: body))
            #expect(response.status == .badRequest)

            let (status, document, _) = try await Self.get(client, "/v1/images/ubuntu-22-04/vex")
            #expect(status == .ok)
            let (valid, output) = try await Self.validate("openvex", [document])
            #expect(valid, "\(output)")
            let vex = try Self.json(document)
            #expect(vex["@context"] as? String == "https://openvex.dev/ns/v0.2.0")
            let statements = vex["statements"] as? [[String: Any]] ?? []
            #expect(statements.count == (findings.contains { $0.advisoryID != first.advisoryID } ? 2 : 1))
            let justified = try #require(statements.first { ($0["vulnerability"] as? [String: Any])?["name"] as? String == first.advisoryID })
            #expect(justified["status"] as? String == "not_affected")
            #expect(justified["justification"] as? String == "vulnerable_code_not_in_execute_path")
            #expect((justified["status_notes"] as? String)?.contains("the daemon is never started") == true)
            let products = justified["products"] as? [[String: Any]] ?? []
            #expect(products.contains { ($0["@id"] as? String) == "pkg:oci/ubuntu@\(current.description.replacingOccurrences(of: ":", with: "%3A"))?repository_url=docker.io/library/ubuntu" })
            let subcomponents = products.flatMap { $0["subcomponents"] as? [[String: Any]] ?? [] }.compactMap { $0["@id"] as? String }
            #expect(!subcomponents.isEmpty && subcomponents.allSatisfy { $0.hasPrefix("pkg:deb/ubuntu/") })
            if let other = statements.first(where: { $0["justification"] == nil }) {
                #expect(other["impact_statement"] as? String == "mitigated by our seccomp profile")
            }
        }
        // A document the schema refuses is refused: the validator can fail.
        var broken = try Self.json(try await catalog.vex(of: "ubuntu-22-04").json())
        broken["statements"] = [[String: Any]]()
        #expect(try await Self.validate("openvex", [JSONSerialization.data(withJSONObject: broken)]).0 == false)
        _ = database
    }
}
