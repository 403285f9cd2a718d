import Foundation
import PlinthCore
import Yams

/// A problem in a catalog-as-code file, with where it is.
public struct EntryFileError: Error, Equatable, CustomStringConvertible, Sendable {
    public var file: String
    public var line: Int?
    /// Dotted path of the field: `approval.grace_days`, `workloads[2].support`.
    public var field: String?
    public var message: String

    public init(file: String, line: Int?, field: String?, message: String) {
        self.file = file
        self.line = line
        self.field = field
        self.message = message
    }

    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        if let field { text += ": \(field)" }
        return text + ": " + message
    }
}

/// Reads one catalog entry from a YAML file (SPEC "Catalog as code"). Strict: unknown
/// fields, wrong types and invalid values are errors naming file, line and field, so a
/// typo never silently drops a setting.
enum EntryFile {
    static func parse(_ text: String, file: String) throws(EntryFileError) -> CatalogEntry {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw EntryFileError(file: file, line: 1, field: nil, message: "file is empty")
            }
            root = node
        } catch let error as EntryFileError {
            throw error
        } catch let error as YamlError {
            throw Self.syntaxError(error, file: file)
        } catch {
            throw EntryFileError(file: file, line: nil, field: nil, message: "cannot read YAML: \(error)")
        }
        var reader = Reader(file: file)
        return try reader.entry(root)
    }

    static func syntaxError(_ error: YamlError, file: String) -> EntryFileError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            var message = "invalid YAML: \(problem)"
            if let context, !context.text.isEmpty {
                message += " (\(context.text) that starts on line \(context.mark.line))"
            }
            return EntryFileError(file: file, line: mark.line, field: nil, message: message)
        default:
            return EntryFileError(file: file, line: nil, field: nil, message: "invalid YAML: \(error)")
        }
    }

    /// Walks the node tree field by field.
    struct Reader {
        let file: String

        func fail(_ node: Node?, _ field: String?, _ message: String) -> EntryFileError {
            EntryFileError(file: file, line: node?.mark?.line, field: field, message: message)
        }

        /// The mapping's values by key; rejects duplicate and unknown keys, and missing required ones.
        func fields(_ node: Node, at path: String?, required: [String], optional: [String]) throws(EntryFileError) -> [String: Node] {
            guard let mapping = node.mapping else { throw fail(node, path, "expected a mapping of fields") }
            var result: [String: Node] = [:]
            for (key, value) in mapping {
                guard let name = key.scalar?.string else { throw fail(key, path, "field names must be plain text") }
                let here = path.map { "\($0).\(name)" } ?? name
                guard required.contains(name) || optional.contains(name) else {
                    throw fail(key, here, "unknown field; expected one of \((required + optional).joined(separator: ", "))")
                }
                guard result[name] == nil else { throw fail(key, here, "field appears twice") }
                result[name] = value
            }
            for name in required where result[name] == nil {
                throw fail(node, path.map { "\($0).\(name)" } ?? name, "required field is missing")
            }
            return result
        }

        func string(_ node: Node, _ field: String) throws(EntryFileError) -> String {
            guard let scalar = node.scalar else { throw fail(node, field, "expected text") }
            guard !scalar.string.trimmingCharacters(in: .whitespaces).isEmpty else { throw fail(node, field, "must not be empty") }
            return scalar.string
        }

        func optionalString(_ node: Node?, _ field: String) throws(EntryFileError) -> String? {
            guard let node else { return nil }
            if node.scalar?.tag == Tag(.null) || node.scalar?.string == "" { return nil }
            return try string(node, field)
        }

        func list(_ node: Node, _ field: String) throws(EntryFileError) -> [Node] {
            guard let sequence = node.sequence else { throw fail(node, field, "expected a list") }
            return Array(sequence)
        }

        func choice<T: RawRepresentable & CaseIterable>(_ node: Node, _ field: String, as: T.Type) throws(EntryFileError) -> T
        where T.RawValue == String {
            let text = try string(node, field)
            guard let value = T(rawValue: text) else {
                throw fail(node, field, "'\(text)' is not one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return value
        }

        /// `source`: an absolute `https://` URL with a host, at most 2,000 bytes.
        func sourceURL(_ node: Node?) throws(EntryFileError) -> String? {
            guard let text = try optionalString(node, "source") else { return nil }
            guard text.utf8.count <= 2000, text.hasPrefix("https://"), let url = URLComponents(string: text), let host = url.host, !host.isEmpty,
                !text.contains(where: \.isWhitespace)
            else {
                throw fail(node, "source", "'\(text.prefix(80))' is not an https:// URL of the image's source (at most 2,000 bytes)")
            }
            return text
        }

        mutating func entry(_ root: Node) throws(EntryFileError) -> CatalogEntry {
            let f = try fields(
                root, at: nil,
                required: ["name", "title", "repository", "tags", "status", "os", "platforms", "workloads", "owner", "rationale", "approval"],
                optional: ["tradeoffs", "successor", "signatures", "surface", "review", "source"])

            let name = try string(f["name"]!, "name")
            guard CatalogEntry.isValidName(name) else {
                throw fail(f["name"], "name", "'\(name)' must match [a-z0-9][a-z0-9-]{1,62}")
            }
            let repositoryText = try string(f["repository"]!, "repository")
            let repository: String
            do {
                let reference = try ImageReference(parsing: repositoryText)
                guard !repositoryText.contains("@"), reference.tag == "latest", !repositoryText.hasSuffix(":latest") else {
                    throw fail(f["repository"], "repository", "name the repository only; tags go in 'tags'")
                }
                repository = reference.repository
            } catch let error as ImageReference.ParseError {
                throw fail(f["repository"], "repository", error.description)
            } catch let error as EntryFileError {
                throw error
            } catch {
                throw fail(f["repository"], "repository", "\(error)")
            }

            var tags: [String] = []
            for (i, node) in try list(f["tags"]!, "tags").enumerated() {
                let tag = try string(node, "tags[\(i)]")
                guard ImageReference.isValidTag(tag) else { throw fail(node, "tags[\(i)]", "'\(tag)' is not a valid tag") }
                guard !tags.contains(tag) else { throw fail(node, "tags[\(i)]", "tag '\(tag)' is listed twice") }
                tags.append(tag)
            }
            guard !tags.isEmpty else { throw fail(f["tags"], "tags", "list at least one tag to track") }

            let o = try fields(f["os"]!, at: "os", required: ["family", "version"], optional: ["codename", "eol"])
            var eol: CalendarDate?
            if let eolText = try optionalString(o["eol"], "os.eol") {
                guard let date = CalendarDate(eolText) else { throw fail(o["eol"], "os.eol", "'\(eolText)' is not a date (YYYY-MM-DD)") }
                eol = date
            }
            let os = CatalogEntry.OperatingSystem(
                family: try string(o["family"]!, "os.family"), version: try string(o["version"]!, "os.version"),
                codename: try optionalString(o["codename"], "os.codename"), eol: eol)

            var platforms: [Platform] = []
            for (i, node) in try list(f["platforms"]!, "platforms").enumerated() {
                let text = try string(node, "platforms[\(i)]")
                do {
                    let platform = try Platform(parsing: text)
                    guard !platforms.contains(platform) else { throw fail(node, "platforms[\(i)]", "platform '\(platform)' is listed twice") }
                    platforms.append(platform)
                } catch let error as Platform.ParseError {
                    throw fail(node, "platforms[\(i)]", error.description)
                } catch let error as EntryFileError {
                    throw error
                } catch {
                    throw fail(node, "platforms[\(i)]", "\(error)")
                }
            }
            guard !platforms.isEmpty else { throw fail(f["platforms"], "platforms", "list at least one platform") }

            var workloads: [CatalogEntry.WorkloadSupport] = []
            for (i, node) in try list(f["workloads"]!, "workloads").enumerated() {
                let path = "workloads[\(i)]"
                let w = try fields(node, at: path, required: ["workload", "support"], optional: ["notes"])
                let workload = try string(w["workload"]!, "\(path).workload")
                guard CatalogEntry.isValidName(workload) else {
                    throw fail(w["workload"], "\(path).workload", "'\(workload)' must match [a-z0-9][a-z0-9-]{1,62}")
                }
                guard !workloads.contains(where: { $0.workload == workload }) else {
                    throw fail(w["workload"], "\(path).workload", "workload '\(workload)' is listed twice")
                }
                workloads.append(
                    .init(
                        workload: workload, support: try choice(w["support"]!, "\(path).support", as: CatalogEntry.Support.self),
                        notes: try optionalString(w["notes"], "\(path).notes")))
            }

            let a = try fields(f["approval"]!, at: "approval", required: ["policy", "grace_days"], optional: [])
            let graceText = try string(a["grace_days"]!, "approval.grace_days")
            guard let grace = Int(graceText), (0...365).contains(grace) else {
                throw fail(a["grace_days"], "approval.grace_days", "'\(graceText)' must be a whole number of days from 0 to 365")
            }
            if let node = f["successor"], node.scalar?.tag != Tag(.null), node.scalar?.string == "" {
                throw fail(node, "successor", "'' is not an entry name (leave successor out when there is none)")
            }
            let successor = try optionalString(f["successor"], "successor")
            if let successor {
                guard CatalogEntry.isValidName(successor) else { throw fail(f["successor"], "successor", "'\(successor)' is not an entry name") }
                guard successor != name else { throw fail(f["successor"], "successor", "an entry cannot succeed itself") }
            }

            var signatures: SignaturePolicy?
            if let node = f["signatures"] {
                let g = try fields(node, at: "signatures", required: ["required"], optional: ["keys", "identities"])
                let requiredText = try string(g["required"]!, "signatures.required")
                guard let required = Bool(requiredText) else { throw fail(g["required"], "signatures.required", "'\(requiredText)' must be true or false") }
                var keys: [String] = []
                if let keyNodes = g["keys"] {
                    for (i, keyNode) in try list(keyNodes, "signatures.keys").enumerated() {
                        keys.append(try string(keyNode, "signatures.keys[\(i)]"))
                    }
                }
                var identities: [SigstoreIdentity] = []
                if let identityNodes = g["identities"] {
                    for (i, identityNode) in try list(identityNodes, "signatures.identities").enumerated() {
                        let path = "signatures.identities[\(i)]"
                        let h = try fields(identityNode, at: path, required: ["issuer"], optional: ["subject", "subject_regex"])
                        let subject = try optionalString(h["subject"], "\(path).subject")
                        let regex = try optionalString(h["subject_regex"], "\(path).subject_regex")
                        guard (subject == nil) != (regex == nil) else {
                            throw fail(identityNode, path, "name the signer by exactly one of subject or subject_regex")
                        }
                        if let regex, (try? NSRegularExpression(pattern: regex)) == nil {
                            throw fail(h["subject_regex"], "\(path).subject_regex", "'\(regex)' is not a regular expression")
                        }
                        identities.append(SigstoreIdentity(issuer: try string(h["issuer"]!, "\(path).issuer"), subject: subject, subjectRegex: regex))
                    }
                }
                let policy = SignaturePolicy(required: required, keys: keys, identities: identities)
                do { _ = try policy.publicKeys() } catch { throw fail(g["keys"], "signatures.keys[\(error.index)]", error.message) }
                if required, keys.isEmpty, identities.isEmpty {
                    throw fail(node, "signatures.keys", "a required signature needs at least one key or identity to verify it with")
                }
                signatures = policy
            }

            var surface: SurfaceRules?
            if let node = f["surface"] {
                let s = try fields(node, at: "surface", required: [], optional: ["shell", "package_manager", "non_root", "setuid", "max_size_mb"])
                var rules = SurfaceRules()
                if let n = s["shell"] { rules.shell = try choice(n, "surface.shell", as: SurfaceRules.Presence.self) }
                if let n = s["package_manager"] { rules.packageManager = try choice(n, "surface.package_manager", as: SurfaceRules.Presence.self) }
                if let n = s["non_root"] { rules.nonRoot = try choice(n, "surface.non_root", as: SurfaceRules.Requirement.self) }
                if let n = s["setuid"] { rules.setuid = try choice(n, "surface.setuid", as: SurfaceRules.Presence.self) }
                if let n = s["max_size_mb"] {
                    let text = try string(n, "surface.max_size_mb")
                    guard let mb = Int(text), (1...1_000_000).contains(mb) else {
                        throw fail(n, "surface.max_size_mb", "'\(text)' must be a whole number of MB from 1 to 1000000")
                    }
                    rules.maxSizeMB = mb
                }
                guard !rules.isEmpty else {
                    throw fail(node, "surface", "name at least one rule: shell, package_manager, non_root, setuid or max_size_mb")
                }
                surface = rules
            }

            var review: ReviewCadence?
            if let node = f["review"] {
                let r = try fields(node, at: "review", required: ["every"], optional: [])
                let text = try string(r["every"]!, "review.every")
                guard let cadence = ReviewCadence(parsing: text) else {
                    throw fail(r["every"], "review.every", "'\(text)' is not an interval: days or weeks, as 90d or 12w (1 day to 10 years)")
                }
                review = cadence
            }

            return CatalogEntry(
                name: name, title: try string(f["title"]!, "title"), repository: repository, tags: tags,
                status: try choice(f["status"]!, "status", as: CatalogEntry.Status.self), os: os, platforms: platforms,
                workloads: workloads, owner: try string(f["owner"]!, "owner"), rationale: try string(f["rationale"]!, "rationale"),
                tradeoffs: try optionalString(f["tradeoffs"], "tradeoffs"), successor: successor,
                approval: .init(policy: try choice(a["policy"]!, "approval.policy", as: CatalogEntry.ApprovalPolicy.Kind.self), graceDays: grace),
                signatures: signatures, surface: surface, review: review, source: try sourceURL(f["source"]))
        }
    }
}
