/// How an ecosystem orders package versions.
public enum VersionScheme: String, Sendable, CaseIterable, Codable {
    /// dpkg: Debian, Ubuntu.
    case deb
    /// apk-tools: Alpine, Chainguard, Wolfi.
    case apk
    /// rpm EVR: Red Hat, UBI, AlmaLinux, Rocky Linux, Amazon Linux.
    case rpm

    /// -1, 0 or 1 as the ecosystem's own tool orders `a` and `b`. Only dpkg refuses versions
    /// outright (as `dpkg --compare-versions` does); apk and rpm order anything.
    public func compare(_ a: String, _ b: String) throws(DebianVersion.ParseError) -> Int {
        switch self {
        case .deb: DebianVersion.compare(try DebianVersion(parsing: a), try DebianVersion(parsing: b))
        case .apk: APKVersion.compare(a, b)
        case .rpm: RPMVersion.compare(RPMVersion(parsing: a), RPMVersion(parsing: b))
        }
    }
}
