import Foundation

/// How bad an advisory is, in the words most feeds use.
public enum AdvisorySeverity: String, Sendable, Codable, CaseIterable, Comparable {
    case unknown, negligible, low, medium, high, critical

    var rank: Int { Self.allCases.firstIndex(of: self)! }

    public static func < (a: AdvisorySeverity, b: AdvisorySeverity) -> Bool { a.rank < b.rank }

    /// The CVSS qualitative rating of a base score (CVSS v3.1 specification, table 14).
    public init(score: Double) {
        switch score {
        case 9.0...: self = .critical
        case 7.0..<9.0: self = .high
        case 4.0..<7.0: self = .medium
        case 0.1..<4.0: self = .low
        default: self = .negligible
        }
    }

    /// A feed's own word (`important`, `moderate`, Ubuntu's priorities, GHSA's `HIGH`).
    public init(word: String) {
        switch word.lowercased() {
        case "critical": self = .critical
        case "high", "important": self = .high
        case "medium", "moderate": self = .medium
        case "low": self = .low
        case "negligible", "untriaged", "none": self = .negligible
        default: self = .unknown
        }
    }

    /// A record's severity: the CVSS v3 base score when it has a vector, else the highest of
    /// its own ratings; with the score when there is one.
    public static func of(_ record: OSVRecord) -> (AdvisorySeverity, Double?) {
        let vectors = (record.severity ?? []) + (record.affected ?? []).flatMap { $0.severity ?? [] }
        if let score = vectors.lazy.filter({ $0.type == "CVSS_V3" }).compactMap({ CVSS3.baseScore($0.score) }).max() {
            return (AdvisorySeverity(score: score), score)
        }
        var words = vectors.filter { $0.type == "Ubuntu" }.map(\.score)
        words += [record.database_specific?.severity].compactMap { $0 }
        for affected in record.affected ?? [] {
            words += [affected.ecosystem_specific?.severity, affected.ecosystem_specific?.ubuntu_priority, affected.database_specific?.severity].compactMap { $0 }
        }
        return (words.map(AdvisorySeverity.init(word:)).max() ?? .unknown, nil)
    }
}

/// The CVSS v3.0/v3.1 base score of a vector (FIRST's specification, section 7.1).
public enum CVSS3 {
    public static func baseScore(_ vector: String) -> Double? {
        var metrics: [String: String] = [:]
        let parts = vector.split(separator: "/")
        guard let version = parts.first, version == "CVSS:3.1" || version == "CVSS:3.0" else { return nil }
        for part in parts.dropFirst() {
            let pair = part.split(separator: ":", maxSplits: 1).map(String.init)
            guard pair.count == 2 else { return nil }
            metrics[pair[0]] = pair[1]
        }
        let scopeChanged = metrics["S"] == "C"
        guard let av = ["N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2][metrics["AV"] ?? ""],
            let ac = ["L": 0.77, "H": 0.44][metrics["AC"] ?? ""],
            let pr = (scopeChanged ? ["N": 0.85, "L": 0.68, "H": 0.5] : ["N": 0.85, "L": 0.62, "H": 0.27])[metrics["PR"] ?? ""],
            let ui = ["N": 0.85, "R": 0.62][metrics["UI"] ?? ""],
            ["U", "C"].contains(metrics["S"] ?? ""),
            let c = ["H": 0.56, "L": 0.22, "N": 0.0][metrics["C"] ?? ""],
            let i = ["H": 0.56, "L": 0.22, "N": 0.0][metrics["I"] ?? ""],
            let a = ["H": 0.56, "L": 0.22, "N": 0.0][metrics["A"] ?? ""]
        else { return nil }
        let iss = 1 - (1 - c) * (1 - i) * (1 - a)
        let impact = scopeChanged ? 7.52 * (iss - 0.029) - 3.25 * pow(iss - 0.02, 15) : 6.42 * iss
        guard impact > 0 else { return 0 }
        let exploitability = 8.22 * av * ac * pr * ui
        let raw = scopeChanged ? min(1.08 * (impact + exploitability), 10) : min(impact + exploitability, 10)
        return roundUp(raw)
    }

    /// The specification's Roundup: the smallest one-decimal number at least the input.
    static func roundUp(_ value: Double) -> Double {
        let integer = Int((value * 100_000).rounded())
        return integer % 10_000 == 0 ? Double(integer) / 100_000 : (Double(integer / 10_000) + 1) / 10
    }
}

/// Which OSV ecosystems describe an OS release, and how they order versions.
public struct AdvisoryEcosystem: Sendable, Hashable {
    public var names: [String]
    public var scheme: VersionScheme
    /// The names the feed files packages under.
    public var keys: Keys = .source

    public enum Keys: Sendable, Hashable {
        /// Source packages (Debian `Source:`, Alpine origin, Rocky's and SUSE's source rpms).
        case source
        /// Binary packages (AlmaLinux's errata list each binary rpm).
        case binary
        /// Either (Red Hat lists binary and source rpms side by side).
        case both
    }

    /// OS families whose vendors publish no OSV feed: their advisories cannot be matched.
    public static func noFeed(family: String) -> String? {
        switch family.lowercased() {
        case "amzn", "amazonlinux", "amazon": "Amazon Linux publishes no OSV feed: advisories are not matched, so the grade says nothing"
        case "fedora": "Fedora publishes no OSV feed: advisories are not matched, so the grade says nothing"
        case "centos": "CentOS publishes no OSV feed: advisories are not matched, so the grade says nothing"
        default: nil
        }
    }

    /// From an OS family and version as entries and os-release name them (`debian` `12`,
    /// `ubuntu` `22.04`, `alpine` `3.21.3`, `rhel` `9.4`, `almalinux` `9.3`, `sles` `15.5`).
    /// Nil where Plinth does not match advisories.
    public init?(family: String, version: String) {
        let parts = version.split(separator: ".")
        switch family.lowercased() {
        case "rhel", "ubi":
            // RHEL 9 and earlier file a whole major release under one CPE per channel
            // (Red Hat's security-data guidelines, cpe.md). Where os-release names the minor
            // release (`9.2`), the streams that keep that one minor alive (EUS, AUS, E4S, TUS:
            // `Red Hat:rhel_eus:9.2::appstream`) are matched too: an image of 9.2 carries 9.2's
            // packages, and those streams publish the fixes made for them after 9.3 came out.
            guard let major = parts.first else { return nil }
            let channels = ["baseos", "appstream", "crb"]
            var streams = channels.map { "Red Hat:enterprise_linux:\(major)::\($0)" }
            if parts.count >= 2, parts[1].allSatisfy(\.isNumber) {
                for stream in ["rhel_eus", "rhel_aus", "rhel_e4s", "rhel_tus"] {
                    streams += channels.map { "Red Hat:\(stream):\(major).\(parts[1])::\($0)" }
                }
            }
            names = streams
            scheme = .rpm
            keys = .both
        case "almalinux":
            guard let major = parts.first else { return nil }
            names = ["AlmaLinux:\(major)"]
            scheme = .rpm
            keys = .binary
        case "rocky":
            guard let major = parts.first else { return nil }
            names = ["Rocky Linux:\(major)"]
            scheme = .rpm
        case "mariner", "azurelinux":
            // Mariner's advisories are filed under Azure Linux by major version (`Azure Linux:2`).
            guard let major = parts.first else { return nil }
            names = ["Azure Linux:\(major)"]
            scheme = .rpm
        case "sles", "sled", "sle_hpc":
            guard parts.count >= 1 else { return nil }
            let servicePack = parts.count >= 2 && parts[1] != "0" ? " SP\(parts[1])" : ""
            // SUSE files a fix under each product that ships the package (the ecosystem is the
            // product's PRETTY_NAME without "SUSE "); a SLES or BCI image's packages come from
            // the server product and its Basesystem and Server Applications modules.
            names = ["Linux Enterprise Server", "Linux Enterprise Module for Basesystem", "Linux Enterprise Module for Server Applications"]
                .map { "SUSE:\($0) \(parts[0])\(servicePack)" }
            scheme = .rpm
        case "sle-micro":
            guard parts.count >= 2 else { return nil }
            names = ["SUSE:Linux Enterprise Micro \(parts[0]).\(parts[1])"]
            scheme = .rpm
        case "opensuse-leap":
            guard parts.count >= 2 else { return nil }
            names = ["openSUSE:Leap \(parts[0]).\(parts[1])"]
            scheme = .rpm
        case "opensuse-tumbleweed":
            names = ["openSUSE:Tumbleweed"]
            scheme = .rpm
        case "debian":
            guard let major = parts.first else { return nil }
            names = ["Debian:\(major)"]
            scheme = .deb
        case "ubuntu":
            guard parts.count >= 2 else { return nil }
            let release = "\(parts[0]).\(parts[1])"
            names = ["Ubuntu:\(release)", "Ubuntu:\(release):LTS"]
            scheme = .deb
        case "alpine":
            guard parts.count >= 2 else { return nil }
            names = ["Alpine:v\(parts[0]).\(parts[1])"]
            scheme = .apk
        case "wolfi":
            names = ["Wolfi"]
            scheme = .apk
        case "chainguard":
            names = ["Chainguard"]
            scheme = .apk
        default:
            return nil
        }
    }
}
