import Foundation

/// Package URLs (purl, github.com/package-url/purl-spec): how SBOMs and VEX documents name an
/// OS package or an image so that scanners match them to their own records.
public enum PackageURL {
    /// The purl vendor namespace of an os-release `ID` (the spec's deb, apk and rpm types name
    /// the distribution's vendor: `debian`, `alpine`, `redhat`).
    public static func namespace(osID: String) -> String {
        switch osID.lowercased() {
        case "rhel", "ubi": "redhat"
        case "sles", "sled", "sle_hpc", "sle-micro": "suse"
        case "opensuse-leap", "opensuse-tumbleweed", "opensuse": "opensuse"
        case "amzn": "amazon"
        case let other: other
        }
    }

    /// An OS package: `pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64&distro=debian-12`,
    /// `pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=alpine-3.21.3`,
    /// `pkg:rpm/redhat/openssl-libs@3.0.7-27.el9?arch=x86_64&distro=rhel-9.2&epoch=1`. The
    /// source package rides as `upstream` when it differs from the binary.
    public static func of(_ package: InstalledPackage, os: PackageDatabase.OSRelease?) -> String {
        var version = package.version
        var qualifiers: [(String, String)] = []
        if let arch = package.arch, !arch.isEmpty { qualifiers.append(("arch", arch)) }
        if let os {
            qualifiers.append(("distro", os.versionID.map { "\(os.id)-\($0)" } ?? os.id))
        }
        if package.type == "rpm" {
            // rpm's purl keeps the epoch out of the version.
            let evr = RPMVersion(parsing: package.version)
            if evr.epoch > 0 { qualifiers.append(("epoch", String(evr.epoch))) }
            version = evr.release.map { "\(evr.version)-\($0)" } ?? evr.version
            if let source = package.sourceRPM { qualifiers.append(("upstream", source)) }
        } else if let source = package.sourceName, source != package.name {
            qualifiers.append(("upstream", source))
        }
        let vendor = os.map { namespace(osID: $0.id) } ?? package.type
        return build(type: package.type, namespace: vendor, name: package.name, version: version, qualifiers: qualifiers)
    }

    /// An image by digest: `pkg:oci/debian@sha256%3A…?repository_url=docker.io/library/debian`.
    public static func oci(repository: String, digest: Digest, platform: Platform? = nil) -> String {
        let name = repository.split(separator: "/").last.map(String.init) ?? repository
        var qualifiers = [("repository_url", repository)]
        if let platform { qualifiers.append(("arch", platform.architecture)) }
        // The oci type writes the digest's colon encoded (`sha256%3A…`), as its definition does.
        return build(type: "oci", namespace: nil, name: name, version: digest.description, qualifiers: qualifiers)
            .replacingFirst("@\(digest.algorithm.rawValue):", with: "@\(digest.algorithm.rawValue)%3A")
    }

    static func build(type: String, namespace: String?, name: String, version: String, qualifiers: [(String, String)]) -> String {
        var text = "pkg:\(type)/"
        if let namespace { text += encode(namespace.lowercased()) + "/" }
        text += encode(name) + "@" + encode(version)
        let sorted = qualifiers.filter { !$0.1.isEmpty }.sorted { $0.0 < $1.0 }
        if !sorted.isEmpty {
            text += "?" + sorted.map { "\($0.0)=\(encode($0.1, keeping: "/"))" }.joined(separator: "&")
        }
        return text
    }

    /// Percent-encoding as the spec asks: ASCII letters, digits, `.-_~` (and `:` in every
    /// component but the type) are kept; everything else is encoded byte by byte.
    static func encode(_ text: String, keeping extra: String = "") -> String {
        var out = ""
        for byte in text.utf8 {
            let scalar = Unicode.Scalar(byte)
            if ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
                || ".-_~:".unicodeScalars.contains(scalar) || extra.unicodeScalars.contains(scalar)
            {
                out.unicodeScalars.append(scalar)
            } else {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }
}

extension String {
    fileprivate func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = range(of: target) else { return self }
        return replacingCharacters(in: range, with: replacement)
    }

    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
