import Foundation
import PlinthCore
import PlinthStore

/// What the CI gate asks beyond "approved or in grace".
public struct GatePolicy: Sendable, Hashable {
    /// Accept a reference without a digest when an approved entry tracks its tag.
    public var allowUnpinnedTracked = false
    /// Fail a digest whose health grade is worse than this.
    public var minimumGrade: HealthGrade?
    /// Fail a digest whose entry is deprecated.
    public var failOnDeprecated = false

    public init(allowUnpinnedTracked: Bool = false, minimumGrade: HealthGrade? = nil, failOnDeprecated: Bool = false) {
        self.allowUnpinnedTracked = allowUnpinnedTracked
        self.minimumGrade = minimumGrade
        self.failOnDeprecated = failOnDeprecated
    }
}

/// One base image judged by the gate.
public struct GateFinding: Sendable, Hashable {
    /// `Dockerfile:3`, or `argument` for a reference given on the command line.
    public var source: String
    public var file: String?
    public var line: Int?
    public var reference: String
    public var digest: Digest?
    /// A verdict, `unpinned`, `invalid`, or `unknown` (not in the catalog).
    public var verdict: String
    public var passes: Bool
    public var reason: String
    /// The digest to pin or move to, when the catalog has one.
    public var currentDigest: Digest?

    public init(
        source: String, file: String?, line: Int?, reference: String, digest: Digest?, verdict: String, passes: Bool, reason: String, currentDigest: Digest?
    ) {
        self.source = source
        self.file = file
        self.line = line
        self.reference = reference
        self.digest = digest
        self.verdict = verdict
        self.passes = passes
        self.reason = reason
        self.currentDigest = currentDigest
    }
}

/// A Dockerfile that cannot be read, with its file and line.
public struct DockerfileError: Error, CustomStringConvertible {
    public var file: String
    public var error: Dockerfile.ParseError
    public var description: String { "\(file):\(error.line): \(error.message)" }
}

/// What `pin` did, or would do, to one file.
public struct PinResult: Sendable, Hashable {
    public struct Change: Sendable, Hashable {
        public var line: Int
        public var from: String
        public var to: String
    }

    public var text: String
    public var changes: [Change]
    /// Bases left as they are, with why (not in the catalog, uses variables, no approved digest).
    public var skipped: [(line: Int, reference: String, reason: String)]

    public static func == (a: PinResult, b: PinResult) -> Bool { a.text == b.text && a.changes == b.changes }
    public func hash(into hasher: inout Hasher) { hasher.combine(text) }
}

extension Catalog {
    /// Judges every base of the Dockerfiles and every reference.
    public func gate(
        dockerfiles: [(path: String, text: String)], references: [String], buildArgs: [String: String] = [:], policy: GatePolicy = .init()
    ) async throws -> [GateFinding] {
        var findings: [GateFinding] = []
        for (path, text) in dockerfiles {
            let bases: [Dockerfile.Base]
            do { bases = try Dockerfile.bases(text, buildArgs: buildArgs) } catch { throw DockerfileError(file: path, error: error) }
            for base in bases {
                findings.append(try await judge(base.reference, source: "\(path):\(base.line)", file: path, line: base.line, policy: policy))
            }
        }
        for reference in references {
            findings.append(try await judge(reference, source: "argument", file: nil, line: nil, policy: policy))
        }
        return findings
    }

    func judge(_ text: String, source: String, file: String?, line: Int?, policy: GatePolicy) async throws -> GateFinding {
        var finding = GateFinding(
            source: source, file: file, line: line, reference: text, digest: nil, verdict: "invalid", passes: false, reason: "", currentDigest: nil)
        let parsed: DigestOrReference
        do { parsed = try DigestOrReference(parsing: text) } catch {
            finding.reason = error.description
            return finding
        }
        var reference: ImageReference?
        switch parsed {
        case .digest(let digest): finding.digest = digest
        case .reference(let r):
            reference = r
            finding.digest = r.digest
        }
        let tracked = try await reference.asyncMap { try await tracking($0) }
        guard let digest = finding.digest else {
            finding.currentDigest = tracked?.current
            if let tracked, let current = tracked.current {
                finding.verdict = "unpinned"
                finding.passes = policy.allowUnpinnedTracked && tracked.entry.status == .approved
                finding.reason = "not pinned by digest; \(tracked.entry.name) tracks this tag: pin @\(current)"
            } else {
                finding.verdict = "unknown"
                finding.reason = "not in the catalog: no entry tracks \(reference?.description ?? text)"
            }
            return finding
        }
        let answer = try await lookup(digest)
        finding.verdict = answer.verdict.verdict.rawValue
        finding.currentDigest = answer.currentDigest
        finding.passes = answer.verdict.verdict.passes
        finding.reason = answer.verdict.verdict == .unknown && tracked == nil ? "not in the catalog: Plinth has never seen \(digest)" : Self.reason(answer)
        if finding.passes, let minimum = policy.minimumGrade, let grade = answer.health?.grade, grade > minimum {
            finding.passes = false
            finding.reason += "; health grade \(grade.rawValue) is below the required \(minimum.rawValue)"
        }
        if finding.passes, policy.failOnDeprecated, let image = answer.verdict.standings.first?.image,
            let entry = try await store.entry(named: image)?.entry, entry.status == .deprecated
        {
            finding.passes = false
            finding.reason += "; \(image) is deprecated" + (entry.successor.map { ", use \($0)" } ?? "")
        }
        return finding
    }

    /// Rewrites each literal base `name:tag` (or stale `name:tag@digest`) of a Dockerfile to
    /// `name:tag@<current approved digest>`, keeping every other byte.
    public func pin(_ text: String, buildArgs: [String: String] = [:]) async throws -> PinResult {
        var result = PinResult(text: text, changes: [], skipped: [])
        var replacements: [(Range<Int>, String, Int, String)] = []
        for base in try Dockerfile.bases(text, buildArgs: buildArgs) {
            guard let range = base.range else {
                result.skipped.append((base.line, base.written, "uses variables; pin the value where it is set"))
                continue
            }
            guard let reference = try? ImageReference(parsing: base.written), let tag = reference.tag else {
                result.skipped.append((base.line, base.written, "has no tag to pin"))
                continue
            }
            let tracked = try await tracking(reference)
            guard let current = tracked?.current else {
                result.skipped.append(
                    (base.line, base.written,
                     tracked.map { "\($0.entry.name) tracks it but has no approved digest for it yet" } ?? "not in the catalog: no entry tracks \(reference.repository):\(tag)"))
                continue
            }
            if reference.digest == current { continue }
            let name = base.written.split(separator: "@", maxSplits: 1).first.map(String.init) ?? base.written
            let pinned = "\(name)@\(current)"
            replacements.append((range, pinned, base.line, base.written))
        }
        var bytes = Array(text.utf8)
        for (range, pinned, line, written) in replacements.sorted(by: { $0.0.lowerBound > $1.0.lowerBound }) {
            bytes.replaceSubrange(range, with: Array(pinned.utf8))
            result.changes.insert(.init(line: line, from: written, to: pinned), at: 0)
        }
        result.text = String(decoding: bytes, as: UTF8.self)
        return result
    }
}
