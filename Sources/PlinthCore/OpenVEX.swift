import Foundation

/// Why a vulnerability does not affect a product, in OpenVEX's words (the spec's status
/// justifications, after CISA's VEX status justifications).
public enum VEXJustification: String, Sendable, CaseIterable, Codable {
    case componentNotPresent = "component_not_present"
    case vulnerableCodeNotPresent = "vulnerable_code_not_present"
    case vulnerableCodeNotInExecutePath = "vulnerable_code_not_in_execute_path"
    case vulnerableCodeCannotBeControlledByAdversary = "vulnerable_code_cannot_be_controlled_by_adversary"
    case inlineMitigationsAlreadyExist = "inline_mitigations_already_exist"

    public init(parsing text: String) throws(Invalid) {
        guard let value = VEXJustification(rawValue: text) else { throw Invalid(text: text) }
        self = value
    }

    public struct Invalid: Error, CustomStringConvertible {
        public var text: String
        public var description: String {
            "'\(text)' is not an OpenVEX justification: one of \(VEXJustification.allCases.map(\.rawValue).joined(separator: ", "))"
        }
    }
}

/// An OpenVEX 0.2.0 document (github.com/openvex/spec): a curator's exceptions to advisories,
/// each a `not_affected` statement about the images it covers and the packages in them.
public struct OpenVEXDocument: Encodable, Sendable {
    public var context = "https://openvex.dev/ns/v0.2.0"
    public var id: String
    public var author: String
    public var role: String?
    public var timestamp: String
    public var lastUpdated: String?
    public var version: Int
    public var tooling: String
    public var statements: [Statement]

    public struct Statement: Encodable, Sendable {
        public var vulnerability: Vulnerability
        public var timestamp: String
        public var products: [Product]
        public var status = "not_affected"
        /// OpenVEX takes a justification or an impact statement, not both: with a
        /// justification the curator's reason is the status notes.
        public var justification: String?
        public var impactStatement: String?
        public var statusNotes: String?

        enum CodingKeys: String, CodingKey {
            case vulnerability, timestamp, products, status, justification
            case impactStatement = "impact_statement"
            case statusNotes = "status_notes"
        }
    }

    public struct Vulnerability: Encodable, Sendable {
        public var name: String
        public var aliases: [String]?
    }

    public struct Product: Encodable, Sendable {
        public var id: String
        public var identifiers: [String: String]
        public var hashes: [String: String]?
        public var subcomponents: [Subcomponent]?

        enum CodingKeys: String, CodingKey {
            case id = "@id"
            case identifiers, hashes, subcomponents
        }
    }

    public struct Subcomponent: Encodable, Sendable {
        public var id: String
        public var identifiers: [String: String]

        enum CodingKeys: String, CodingKey {
            case id = "@id"
            case identifiers
        }
    }

    enum CodingKeys: String, CodingKey {
        case context = "@context"
        case id = "@id"
        case author, role, timestamp, version, tooling, statements
        case lastUpdated = "last_updated"
    }

    /// One exception as a statement.
    public struct Exception: Sendable {
        public var advisory: String
        public var aliases: [String]
        public var justification: VEXJustification?
        public var reason: String
        public var by: String
        public var at: Date
        /// The images it covers (`pkg:oci` purls of the digests), each with the purls of the
        /// packages in it that the advisory names.
        public var products: [(digest: Digest, purl: String, packages: [String])]

        public init(
            advisory: String, aliases: [String], justification: VEXJustification?, reason: String, by: String, at: Date,
            products: [(digest: Digest, purl: String, packages: [String])]
        ) {
            self.advisory = advisory
            self.aliases = aliases
            self.justification = justification
            self.reason = reason
            self.by = by
            self.at = at
            self.products = products
        }
    }

    /// The document for one entry's exceptions. Its identifier and version follow what it
    /// says: the same exceptions give the same document.
    public init(image: String, author: String, exceptions: [Exception], tool: String) {
        let times = exceptions.map(\.at)
        let stamp = { (date: Date) in
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime]
            return formatter.string(from: date)
        }
        self.author = author
        role = "curator"
        tooling = tool
        // Issued when its last exception was made: the document changes only then.
        timestamp = stamp(times.max() ?? Date(timeIntervalSince1970: 0))
        version = 1
        statements = exceptions.map { exception in
            Statement(
                vulnerability: Vulnerability(name: exception.advisory, aliases: exception.aliases.isEmpty ? nil : exception.aliases),
                timestamp: stamp(exception.at),
                products: exception.products.map { product in
                    Product(
                        id: product.purl, identifiers: ["purl": product.purl], hashes: [product.digest.algorithm == .sha256 ? "sha-256" : "sha-512": product.digest.hex],
                        subcomponents: product.packages.isEmpty ? nil : product.packages.map { Subcomponent(id: $0, identifiers: ["purl": $0]) })
                },
                justification: exception.justification?.rawValue,
                impactStatement: exception.justification == nil ? exception.reason : nil,
                statusNotes: exception.justification == nil ? nil : "\(exception.reason) (\(exception.by))")
        }
        let summary = exceptions.map { "\($0.advisory)|\($0.justification?.rawValue ?? "")|\($0.reason)|\($0.at.timeIntervalSince1970)" }
            .joined(separator: "\n")
        id = "urn:plinth:vex:\(image):\(Digest.sha256(of: Data(summary.utf8)).hex.prefix(16))"
    }

    /// The document as JSON with sorted keys.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}
