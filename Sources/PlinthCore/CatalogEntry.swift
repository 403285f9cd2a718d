/// One curated base image: what it is, where it comes from, what it is for and
/// how new digests of its tags are approved (SPEC "Catalog as code").
public struct CatalogEntry: Hashable, Sendable, Codable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        case proposed, approved, deprecated, retired
    }

    public struct OperatingSystem: Hashable, Sendable, Codable {
        public var family: String
        public var version: String
        public var codename: String?
        /// End of security support, `YYYY-MM-DD`.
        public var eol: CalendarDate?

        public init(family: String, version: String, codename: String? = nil, eol: CalendarDate? = nil) {
            self.family = family
            self.version = version
            self.codename = codename
            self.eol = eol
        }
    }

    public enum Support: String, Sendable, Codable, CaseIterable, Comparable {
        case recommended, supported
        case notRecommended = "not-recommended"
        case unsupported

        public static func < (lhs: Support, rhs: Support) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }

    public struct WorkloadSupport: Hashable, Sendable, Codable {
        public var workload: String
        public var support: Support
        public var notes: String?

        public init(workload: String, support: Support, notes: String? = nil) {
            self.workload = workload
            self.support = support
            self.notes = notes
        }
    }

    public struct ApprovalPolicy: Hashable, Sendable, Codable {
        public enum Kind: String, Sendable, Codable, CaseIterable {
            /// A digest sync sees is approved at once; the one it replaces is superseded.
            case automatic
            /// A digest sync sees is pending until a curator approves it.
            case manual
        }

        public var policy: Kind
        public var graceDays: Int

        public init(policy: Kind, graceDays: Int) {
            self.policy = policy
            self.graceDays = graceDays
        }

        enum CodingKeys: String, CodingKey {
            case policy
            case graceDays = "grace_days"
        }
    }

    public var name: String
    public var title: String
    /// `registry/path`, normalised: `docker.io/library/debian`.
    public var repository: String
    public var tags: [String]
    public var status: Status
    public var os: OperatingSystem
    public var platforms: [Platform]
    public var workloads: [WorkloadSupport]
    public var owner: String
    public var rationale: String
    public var tradeoffs: String?
    /// Name of the entry that replaces this one.
    public var successor: String?
    public var approval: ApprovalPolicy
    /// Whose signatures a digest must carry before it is approved automatically.
    public var signatures: SignaturePolicy?
    /// Limits on each new digest's attack surface.
    public var surface: SurfaceRules?
    /// How often curators must review the entry.
    public var review: ReviewCadence?
    /// Where the image is built from: an `https://` URL of its source (Renovate's `sourceUrl`).
    public var source: String?

    public init(
        name: String, title: String, repository: String, tags: [String], status: Status, os: OperatingSystem,
        platforms: [Platform], workloads: [WorkloadSupport], owner: String, rationale: String, tradeoffs: String?,
        successor: String?, approval: ApprovalPolicy, signatures: SignaturePolicy? = nil, surface: SurfaceRules? = nil,
        review: ReviewCadence? = nil, source: String? = nil
    ) {
        self.source = source
        self.signatures = signatures
        self.surface = surface
        self.review = review
        self.name = name
        self.title = title
        self.repository = repository
        self.tags = tags
        self.status = status
        self.os = os
        self.platforms = platforms
        self.workloads = workloads
        self.owner = owner
        self.rationale = rationale
        self.tradeoffs = tradeoffs
        self.successor = successor
        self.approval = approval
    }

    /// `[a-z0-9][a-z0-9-]{1,62}`
    public static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (2...63).contains(bytes.count), bytes[0].isLowerAlphanumeric else { return false }
        return bytes.allSatisfy { $0.isLowerAlphanumeric || $0 == UInt8(ascii: "-") }
    }

    /// Support level for a workload, if the entry lists it.
    public func support(for workload: String) -> WorkloadSupport? {
        workloads.first { $0.workload == workload }
    }

    /// Whether the entry offers this platform (after normalisation: `linux/arm64` matches `linux/arm64/v8`).
    public func offers(_ platform: Platform) -> Bool { platforms.contains(platform) }
}
