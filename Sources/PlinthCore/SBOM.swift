import Crypto
import Foundation

/// What an SBOM describes: an image by digest and, for each platform manifest read, its OS
/// and the packages its layers hold.
public struct SBOMSubject: Sendable {
    /// The registry repository (`docker.io/library/debian`).
    public var repository: String
    public var digest: Digest
    /// When Plinth first saw the digest: the document's creation time, so that one digest's
    /// SBOM is the same document every time it is asked for.
    public var created: Date
    public var parts: [Part]
    /// `plinth-<version>`, the creator the documents name.
    public var tool: String

    public struct Part: Sendable {
        public var digest: Digest
        public var platform: Platform?
        public var os: PackageDatabase.OSRelease?
        public var packages: [InstalledPackage]

        public init(digest: Digest, platform: Platform?, os: PackageDatabase.OSRelease?, packages: [InstalledPackage]) {
            self.digest = digest
            self.platform = platform
            self.os = os
            self.packages = packages
        }
    }

    public init(repository: String, digest: Digest, created: Date, parts: [Part], tool: String) {
        self.repository = repository
        self.digest = digest
        self.created = created
        self.parts = parts
        self.tool = tool
    }

    /// The platform manifests that are not the subject itself (an index's platforms).
    var platformParts: [(offset: Int, element: Part)] {
        Array(parts.enumerated()).filter { $0.element.digest != digest }
    }

    /// A name-based UUID (RFC 4122 version 5, URL namespace) of the subject and a format: the
    /// same document gets the same identifier.
    func uuid(_ format: String) -> String {
        let namespace: [UInt8] = [0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8]
        var bytes = Array(Insecure.SHA1.hash(data: namespace + Array("plinth:\(format):\(repository)@\(digest)".utf8)).prefix(16))
        bytes[6] = (bytes[6] & 0x0f) | 0x50
        bytes[8] = (bytes[8] & 0x3f) | 0x80
        let hex = bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        let h = Array(hex)
        return [h[0..<8], h[8..<12], h[12..<16], h[16..<20], h[20..<32]].map { String($0) }.joined(separator: "-")
    }
}

/// The two SBOM formats scanners and auditors read.
public enum SBOMFormat: String, Sendable, CaseIterable {
    case spdx, cyclonedx

    public var mediaType: String {
        switch self {
        case .spdx: "application/spdx+json"
        case .cyclonedx: "application/vnd.cyclonedx+json"
        }
    }

    /// The document, as JSON with sorted keys.
    public func document(_ subject: SBOMSubject) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        switch self {
        case .spdx: return try encoder.encode(SPDXDocument(subject))
        case .cyclonedx: return try encoder.encode(CycloneDXDocument(subject))
        }
    }
}

private func rfc3339(_ date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    return formatter.string(from: Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down)))
}

/// SPDX 2.3 (spdx.github.io/spdx-spec/v2.3): the image as the described package, each
/// platform manifest of an index a package it contains, each OS package contained by its
/// platform's, every package named by its purl.
struct SPDXDocument: Encodable {
    var spdxVersion = "SPDX-2.3"
    var dataLicense = "CC0-1.0"
    var SPDXID = "SPDXRef-DOCUMENT"
    var name: String
    var documentNamespace: String
    var creationInfo: CreationInfo
    var packages: [Package] = []
    var relationships: [Relationship] = []

    struct CreationInfo: Encodable {
        var created: String
        var creators: [String]
    }

    struct Package: Encodable {
        var SPDXID: String
        var name: String
        var versionInfo: String
        var downloadLocation = "NOASSERTION"
        var filesAnalyzed = false
        var supplier: String?
        var sourceInfo: String?
        var primaryPackagePurpose: String
        var externalRefs: [ExternalRef]
    }

    struct ExternalRef: Encodable {
        var referenceCategory = "PACKAGE-MANAGER"
        var referenceType = "purl"
        var referenceLocator: String
    }

    struct Relationship: Encodable {
        var spdxElementId: String
        var relationshipType: String
        var relatedSpdxElement: String
    }

    init(_ subject: SBOMSubject) {
        name = "\(subject.repository)@\(subject.digest)"
        documentNamespace = "urn:uuid:\(subject.uuid("spdx"))"
        creationInfo = CreationInfo(created: rfc3339(subject.created), creators: ["Tool: \(subject.tool)"])
        let root = "SPDXRef-Image"
        packages.append(
            Package(
                SPDXID: root, name: subject.repository, versionInfo: subject.digest.description, primaryPackagePurpose: "CONTAINER",
                externalRefs: [ExternalRef(referenceLocator: PackageURL.oci(repository: subject.repository, digest: subject.digest))]))
        relationships.append(Relationship(spdxElementId: SPDXID, relationshipType: "DESCRIBES", relatedSpdxElement: root))
        for (n, part) in subject.parts.enumerated() {
            var holder = root
            if part.digest != subject.digest {
                holder = "SPDXRef-Platform-\(n)"
                packages.append(
                    Package(
                        SPDXID: holder, name: "\(subject.repository) \(part.platform?.description ?? part.digest.description)",
                        versionInfo: part.digest.description, primaryPackagePurpose: "CONTAINER",
                        externalRefs: [
                            ExternalRef(referenceLocator: PackageURL.oci(repository: subject.repository, digest: part.digest, platform: part.platform))
                        ]))
                relationships.append(Relationship(spdxElementId: root, relationshipType: "CONTAINS", relatedSpdxElement: holder))
            }
            if let os = part.os {
                let id = "SPDXRef-OS-\(n)"
                packages.append(
                    Package(
                        SPDXID: id, name: os.id, versionInfo: os.versionID ?? "NOASSERTION", sourceInfo: os.prettyName,
                        primaryPackagePurpose: "OPERATING-SYSTEM", externalRefs: []))
                relationships.append(Relationship(spdxElementId: holder, relationshipType: "CONTAINS", relatedSpdxElement: id))
            }
            for (m, package) in part.packages.enumerated() {
                let id = "SPDXRef-Package-\(n)-\(m)"
                var source: String?
                if let rpm = package.sourceRPM {
                    source = "built from source rpm \(rpm)"
                } else if let name = package.sourceName, name != package.name || package.sourceVersion != package.version {
                    source = "built from source package \(name) \(package.sourceVersion ?? package.version)"
                }
                packages.append(
                    Package(
                        SPDXID: id, name: package.name, versionInfo: package.version, supplier: nil, sourceInfo: source,
                        primaryPackagePurpose: "LIBRARY", externalRefs: [ExternalRef(referenceLocator: PackageURL.of(package, os: part.os))]))
                relationships.append(Relationship(spdxElementId: holder, relationshipType: "CONTAINS", relatedSpdxElement: id))
            }
        }
    }
}

/// CycloneDX 1.6 (cyclonedx.org/docs/1.6/json): the image as the BOM's component, an index's
/// platform manifests as container components, each platform's OS and packages as its own
/// components, joined by `dependencies`.
struct CycloneDXDocument: Encodable {
    var bomFormat = "CycloneDX"
    var specVersion = "1.6"
    var serialNumber: String
    var version = 1
    var metadata: Metadata
    var components: [Component] = []
    var dependencies: [Dependency] = []

    struct Metadata: Encodable {
        var timestamp: String
        var tools: Tools
        var component: Component
    }

    struct Tools: Encodable {
        var components: [Component]
    }

    struct Component: Encodable {
        var type: String
        var bomRef: String?
        var name: String
        var version: String?
        var description: String?
        var purl: String?
        var properties: [Property]?

        enum CodingKeys: String, CodingKey {
            case type, name, version, description, purl, properties
            case bomRef = "bom-ref"
        }
    }

    struct Property: Encodable {
        var name: String
        var value: String
    }

    struct Dependency: Encodable {
        var ref: String
        var dependsOn: [String]
    }

    init(_ subject: SBOMSubject) {
        serialNumber = "urn:uuid:\(subject.uuid("cyclonedx"))"
        let toolParts = subject.tool.split(separator: "-", maxSplits: 1).map(String.init)
        let root = "image"
        metadata = Metadata(
            timestamp: rfc3339(subject.created),
            tools: Tools(components: [Component(type: "application", name: toolParts[0], version: toolParts.count > 1 ? toolParts[1] : nil)]),
            component: Component(
                type: "container", bomRef: root, name: subject.repository, version: subject.digest.description,
                purl: PackageURL.oci(repository: subject.repository, digest: subject.digest)))
        var rootDepends: [String] = []
        for (n, part) in subject.parts.enumerated() {
            var holder = root
            var depends: [String] = []
            if part.digest != subject.digest {
                holder = "platform-\(n)"
                components.append(
                    Component(
                        type: "container", bomRef: holder, name: "\(subject.repository) \(part.platform?.description ?? part.digest.description)",
                        version: part.digest.description, purl: PackageURL.oci(repository: subject.repository, digest: part.digest, platform: part.platform)))
                rootDepends.append(holder)
            }
            if let os = part.os {
                let ref = "os-\(n)"
                components.append(Component(type: "operating-system", bomRef: ref, name: os.id, version: os.versionID, description: os.prettyName))
                depends.append(ref)
            }
            for (m, package) in part.packages.enumerated() {
                let ref = "package-\(n)-\(m)"
                var properties = [Property(name: "plinth:package:type", value: package.type)]
                if let source = package.sourceRPM ?? package.sourceName { properties.append(Property(name: "plinth:package:source", value: source)) }
                if let module = package.module { properties.append(Property(name: "plinth:package:module", value: module)) }
                components.append(
                    Component(
                        type: "library", bomRef: ref, name: package.name, version: package.version, purl: PackageURL.of(package, os: part.os),
                        properties: properties))
                depends.append(ref)
            }
            if holder == root {
                rootDepends += depends
            } else {
                dependencies.append(Dependency(ref: holder, dependsOn: depends))
            }
        }
        dependencies.insert(Dependency(ref: root, dependsOn: rootDepends), at: 0)
        for ref in components.compactMap(\.bomRef) where !dependencies.contains(where: { $0.ref == ref }) {
            dependencies.append(Dependency(ref: ref, dependsOn: []))
        }
    }
}

/// Plinth's release, as the CLI, SARIF reports and SBOMs name it.
public enum PlinthRelease {
    public static let version = "0.1.0"
    public static var tool: String { "plinth-\(version)" }
}
