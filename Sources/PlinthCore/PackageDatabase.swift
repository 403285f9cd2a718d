/// Readers of the files an image's OS and packages are known by: `os-release`, dpkg's
/// `status` (and distroless `status.d/*`), and apk's `installed`. Pure text in, values out.
public enum PackageDatabase {
    /// `os-release(5)`: the OS's id and version (`ID=debian`, `VERSION_ID="12"`).
    public struct OSRelease: Sendable, Hashable, Codable {
        public var id: String
        public var versionID: String?
        public var prettyName: String?

        public init(id: String, versionID: String?, prettyName: String?) {
            self.id = id
            self.versionID = versionID
            self.prettyName = prettyName
        }
    }

    public static func osRelease(_ text: String) -> OSRelease? {
        var fields: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingPrefix(while: { $0 == " " || $0 == "\t" })
            guard !trimmed.hasPrefix("#"), let equals = trimmed.firstIndex(of: "=") else { continue }
            var value = Substring(trimmed[trimmed.index(after: equals)...])
            if value.count >= 2, let quote = value.first, quote == "\"" || quote == "'", value.last == quote { value = value.dropFirst().dropLast() }
            fields[String(trimmed[..<equals])] = String(value).replacingBackslashEscapes()
        }
        guard let id = fields["ID"], !id.isEmpty else { return nil }
        return OSRelease(id: id, versionID: fields["VERSION_ID"], prettyName: fields["PRETTY_NAME"])
    }

    /// dpkg's status file (deb-control(5) paragraphs): installed packages only (`Status:` ends
    /// in `installed`; distroless `status.d` files have no Status and are all installed).
    /// `Source: name (version)` gives the source package and its version when they differ.
    public static func dpkgStatus(_ text: String) -> [InstalledPackage] {
        paragraphs(text).compactMap { fields in
            guard let name = fields["Package"], let version = fields["Version"] else { return nil }
            if let status = fields["Status"], !status.hasSuffix(" installed") { return nil }
            var sourceName: String?, sourceVersion: String?
            if let source = fields["Source"] {
                let parts = source.split(separator: " ", maxSplits: 1)
                sourceName = parts.first.map(String.init)
                if parts.count == 2 { sourceVersion = String(parts[1].trimmingPrefix("(").prefix { $0 != ")" }) }
            }
            return InstalledPackage(
                type: "deb", name: name, version: version, arch: fields["Architecture"], sourceName: sourceName ?? name,
                sourceVersion: sourceVersion ?? version)
        }
    }

    /// apk's `lib/apk/db/installed`: `P:` name, `V:` version, `A:` arch, `o:` origin (the
    /// source package Alpine's advisories name).
    public static func apkInstalled(_ text: String) -> [InstalledPackage] {
        var packages: [InstalledPackage] = []
        var fields: [Character: String] = [:]
        func flush() {
            if let name = fields["P"], let version = fields["V"] {
                packages.append(
                    InstalledPackage(type: "apk", name: name, version: version, arch: fields["A"], sourceName: fields["o"] ?? name, sourceVersion: version))
            }
            fields = [:]
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty {
                flush()
                continue
            }
            guard line.count >= 2, line.dropFirst().first == ":", let key = line.first, fields[key] == nil else { continue }
            fields[key] = String(line.dropFirst(2))
        }
        flush()
        return packages
    }

    /// deb-control paragraphs as field maps; continuation lines are folded into their field.
    static func paragraphs(_ text: String) -> [[String: String]] {
        var result: [[String: String]] = []
        var current: [String: String] = [:]
        var last: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) {
                if !current.isEmpty { result.append(current) }
                current = [:]
                last = nil
            } else if line.first == " " || line.first == "\t" {
                if let last { current[last, default: ""] += "\n" + line }
            } else if let colon = line.firstIndex(of: ":") {
                let key = String(line[..<colon])
                current[key] = String(line[line.index(after: colon)...]).trimmingBlanks()
                last = key
            }
        }
        if !current.isEmpty { result.append(current) }
        return result
    }
}

extension String {
    /// os-release's shell-style escapes (`\"`, `\\`, `\$`, `` \` ``).
    func replacingBackslashEscapes() -> String {
        guard contains("\\") else { return self }
        var out = ""
        var escaping = false
        for c in self {
            if escaping {
                out.append(c)
                escaping = false
            } else if c == "\\" {
                escaping = true
            } else {
                out.append(c)
            }
        }
        return out
    }
}
