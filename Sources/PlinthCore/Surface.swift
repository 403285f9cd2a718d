import Foundation

/// What a platform manifest exposes, from its files (its layers merged, whiteouts applied) and
/// its config: how big it is, which shells and package managers it carries, which files run
/// with raised privileges or can be changed by anyone, and how it runs (user, ports,
/// entrypoint, healthcheck). Minimal bases are judged by it (the entry's `surface` rules).
public struct SurfaceReport: Sendable, Hashable, Codable {
    /// The layers' blobs as stored, and their tar streams once decompressed.
    public var compressedBytes: Int
    public var uncompressedBytes: Int
    public var layers: Int
    /// Regular files, symlinks and hard links left once every layer is applied.
    public var files: Int
    /// Shells present (absolute paths; a symlink counts when it resolves to a file).
    public var shells: [String]
    public var packageManagers: [String]
    public var setuid: [String]
    public var setgid: [String]
    public var worldWritable: [String]
    /// The config's `User`, `root` when it is empty.
    public var user: String
    public var runsAsRoot: Bool
    public var exposedPorts: [String]
    public var entrypoint: [String]?
    public var cmd: [String]?
    public var healthcheck: Bool

    enum CodingKeys: String, CodingKey {
        case compressedBytes = "compressed_bytes", uncompressedBytes = "uncompressed_bytes", layers, files, shells
        case packageManagers = "package_managers", setuid, setgid, worldWritable = "world_writable", user, runsAsRoot = "runs_as_root"
        case exposedPorts = "exposed_ports", entrypoint, cmd, healthcheck
    }
}

extension SurfaceReport {
    /// As stored: JSON with sorted keys.
    public static func json(_ report: SurfaceReport) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(report), as: UTF8.self)
    }

    public static func parse(_ text: String) throws -> SurfaceReport {
        try JSONDecoder().decode(SurfaceReport.self, from: Data(text.utf8))
    }
}

public enum Surface {
    /// One path of the merged root filesystem, as its last layer left it.
    public struct File: Sendable, Hashable {
        public enum Kind: Sendable, Hashable { case file, directory, symlink, hardlink, other }
        public var kind: Kind
        /// Permission bits with setuid (0o4000), setgid (0o2000) and sticky (0o1000).
        public var mode: Int
        public var linkTarget: String?

        public init(kind: Kind, mode: Int, linkTarget: String? = nil) {
            self.kind = kind
            self.mode = mode
            self.linkTarget = linkTarget
        }
    }

    /// Where shells and package managers live, and their names (busybox is a shell: its
    /// applets include sh and ash).
    static let binaryFolders = ["bin", "usr/bin", "sbin", "usr/sbin", "usr/local/bin", "usr/local/sbin"]
    public static let shellNames = ["sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "busybox"]
    public static let packageManagerNames = ["apt", "apt-get", "dpkg", "apk", "rpm", "dnf", "microdnf", "yum", "tdnf", "zypper", "pip", "pip3"]

    /// The report of a root filesystem (`files`, by path without a leading `/`) and the image
    /// config that runs it.
    public static func report(files: [String: File], layers: Int, compressedBytes: Int, uncompressedBytes: Int, config: [UInt8]) -> SurfaceReport {
        let regular = files.filter { $0.value.kind == .file }
        func absolute(_ paths: some Sequence<String>) -> [String] { paths.map { "/" + $0 }.sorted() }
        let wire = try? JSONDecoder().decode(ConfigWire.self, from: Data(config))
        let user = (wire?.config?.User ?? "").trimmingCharacters(in: .whitespaces)
        let test = wire?.config?.Healthcheck?.Test ?? []
        return SurfaceReport(
            compressedBytes: compressedBytes, uncompressedBytes: uncompressedBytes, layers: layers,
            files: files.values.filter { $0.kind != .directory }.count,
            shells: present(shellNames, in: files), packageManagers: present(packageManagerNames, in: files),
            setuid: absolute(regular.filter { $0.value.mode & 0o4000 != 0 }.keys),
            setgid: absolute(regular.filter { $0.value.mode & 0o2000 != 0 }.keys),
            worldWritable: absolute(regular.filter { $0.value.mode & 0o002 != 0 }.keys),
            user: user.isEmpty ? "root" : user, runsAsRoot: isRoot(user),
            exposedPorts: (wire?.config?.ExposedPorts ?? [:]).keys.sorted(), entrypoint: wire?.config?.Entrypoint, cmd: wire?.config?.Cmd,
            healthcheck: !test.isEmpty && test.first != "NONE")
    }

    /// Whether a config `User` (`name`, `uid`, `name:group`) runs as root: empty, root or 0.
    public static func isRoot(_ user: String) -> Bool {
        let name = user.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        return name.isEmpty || name == "root" || name == "0"
    }

    struct ConfigWire: Decodable {
        struct Health: Decodable { var Test: [String]? }
        struct Config: Decodable {
            var User: String?
            var ExposedPorts: [String: EmptyObject]?
            var Entrypoint: [String]?
            var Cmd: [String]?
            var Healthcheck: Health?
        }
        struct EmptyObject: Decodable {}
        var config: Config?
    }

    /// The names found in the binary folders, as absolute paths: each that resolves to a file,
    /// once per file it resolves to (`/bin/sh` and `/usr/bin/sh` on a merged /usr are one).
    static func present(_ names: [String], in files: [String: File]) -> [String] {
        var seen: Set<String> = []
        var found: [String] = []
        for name in names {
            for folder in binaryFolders {
                let path = folder + "/" + name
                guard let target = resolve(path, in: files), let file = files[target], file.kind == .file || file.kind == .hardlink else { continue }
                if seen.insert(target).inserted { found.append("/" + path) }
            }
        }
        return found
    }

    /// Follows symlinks, in the path's folders and at its end, to the path they name in
    /// `files` (at most 32 hops); nil when it leads nowhere.
    public static func resolve(_ path: String, in files: [String: File]) -> String? {
        var pending = path.split(separator: "/").map(String.init)
        var resolved: [String] = []
        var hops = 0
        while !pending.isEmpty {
            let part = pending.removeFirst()
            if part == "." || part.isEmpty { continue }
            if part == ".." {
                _ = resolved.popLast()
                continue
            }
            let candidate = (resolved + [part]).joined(separator: "/")
            if let file = files[candidate], file.kind == .symlink, let target = file.linkTarget {
                hops += 1
                guard hops <= 32 else { return nil }
                if target.hasPrefix("/") { resolved = [] }
                pending = target.split(separator: "/").map(String.init) + pending
                continue
            }
            resolved.append(part)
        }
        let result = resolved.joined(separator: "/")
        return files[result] == nil ? nil : result
    }
}

/// Limits an entry sets on its digests' surface (the entry's `surface`): each optional. A new
/// digest that breaks one is never approved automatically; it waits, flagged with the rule and
/// the files that break it.
public struct SurfaceRules: Hashable, Sendable, Codable {
    public enum Presence: String, Hashable, Sendable, Codable, CaseIterable { case allowed, forbidden }
    public enum Requirement: String, Hashable, Sendable, Codable, CaseIterable { case required, optional }

    public var shell: Presence?
    public var packageManager: Presence?
    public var nonRoot: Requirement?
    public var setuid: Presence?
    /// The most the layers may hold uncompressed, in MB (1,000,000 bytes).
    public var maxSizeMB: Int?

    public init(shell: Presence? = nil, packageManager: Presence? = nil, nonRoot: Requirement? = nil, setuid: Presence? = nil, maxSizeMB: Int? = nil) {
        self.shell = shell
        self.packageManager = packageManager
        self.nonRoot = nonRoot
        self.setuid = setuid
        self.maxSizeMB = maxSizeMB
    }

    enum CodingKeys: String, CodingKey {
        case shell, packageManager = "package_manager", nonRoot = "non_root", setuid, maxSizeMB = "max_size_mb"
    }

    /// A rule a report breaks: the rule as the entry says it, and what breaks it.
    public struct Breach: Hashable, Sendable {
        /// `shell: forbidden`, `max_size_mb: 60`.
        public var rule: String
        /// The files (absolute paths) or the fact (`User root`, `74.8 MB`) that break it.
        public var evidence: [String]
    }

    /// Every rule the report breaks, in the order the rules are listed.
    public func breaches(of report: SurfaceReport) -> [Breach] {
        var found: [Breach] = []
        if shell == .forbidden, !report.shells.isEmpty { found.append(.init(rule: "shell: forbidden", evidence: report.shells)) }
        if packageManager == .forbidden, !report.packageManagers.isEmpty {
            found.append(.init(rule: "package_manager: forbidden", evidence: report.packageManagers))
        }
        if nonRoot == .required, report.runsAsRoot { found.append(.init(rule: "non_root: required", evidence: ["User \(report.user)"])) }
        if setuid == .forbidden, !report.setuid.isEmpty { found.append(.init(rule: "setuid: forbidden", evidence: report.setuid)) }
        if let maxSizeMB, report.uncompressedBytes > maxSizeMB * 1_000_000 {
            found.append(.init(rule: "max_size_mb: \(maxSizeMB)", evidence: [Self.megabytes(report.uncompressedBytes) + " uncompressed"]))
        }
        return found
    }

    public var isEmpty: Bool { shell == nil && packageManager == nil && nonRoot == nil && setuid == nil && maxSizeMB == nil }

    /// `74.8 MB`
    public static func megabytes(_ bytes: Int) -> String {
        let tenths = (bytes + 50_000) / 100_000
        return "\(tenths / 10).\(tenths % 10) MB"
    }

    /// The flag a breach puts on a digest waiting for review:
    /// `surface shell: forbidden: /bin/sh, /bin/bash (linux/amd64)`.
    public static func flag(_ breach: Breach, platform: String?) -> String {
        var text = "surface \(breach.rule): " + breach.evidence.prefix(10).joined(separator: ", ")
        if breach.evidence.count > 10 { text += " and \(breach.evidence.count - 10) more" }
        if let platform { text += " (\(platform))" }
        return text
    }
}

/// How often curators review an entry (the entry's `review: {every: 90d}`).
public struct ReviewCadence: Hashable, Sendable, Codable {
    public var everyDays: Int

    public init(everyDays: Int) { self.everyDays = everyDays }

    /// `90d`, or `12w` (weeks); 1 to 3650 days.
    public init?(parsing text: String) {
        guard let unit = text.last, let count = Int(text.dropLast()), count > 0 else { return nil }
        let days: Int
        switch unit {
        case "d": days = count
        case "w": days = count * 7
        default: return nil
        }
        guard (1...3650).contains(days) else { return nil }
        everyDays = days
    }

    enum CodingKeys: String, CodingKey { case every }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let text = try container.decode(String.self, forKey: .every)
        guard let parsed = ReviewCadence(parsing: text) else {
            throw DecodingError.dataCorruptedError(forKey: .every, in: container, debugDescription: "'\(text)' is not a review interval (90d, 12w)")
        }
        self = parsed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode("\(everyDays)d", forKey: .every)
    }

    /// When a review made (or an entry created) at `last` is next due.
    public func due(after last: Date) -> Date { last.addingTimeInterval(TimeInterval(everyDays) * 86_400) }
}
