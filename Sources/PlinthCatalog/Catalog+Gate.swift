import Foundation
import PlinthCore
import PlinthStore

/// One input of the CI gate judged, with where it came from.
public struct GateFinding: Sendable, Hashable {
    /// `Dockerfile:3`, `argument` for a reference given on the command line, or `image`.
    public var source: String
    public var file: String?
    public var line: Int?
    public var judgment: Judgment

    public init(source: String, file: String? = nil, line: Int? = nil, judgment: Judgment) {
        self.source = source
        self.file = file
        self.line = line
        self.judgment = judgment
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

/// What judges the gate's inputs: the catalog itself, or a Plinth server asked over HTTP
/// (`plinth check --server`), with the same judgments either way.
public protocol GateJudge: Sendable {
    /// Judges each input (a digest, a reference or a Dockerfile base) as written, in order.
    func judge(_ inputs: [String], policy: GatePolicy) async throws -> [Judgment]
}

extension Catalog: GateJudge {}

/// The CI gate over Dockerfiles: their bases read here, judged by a `GateJudge`.
public enum Gate {
    /// Judges every base of the Dockerfiles and every reference (in one batch).
    public static func findings(
        dockerfiles: [(path: String, text: String)], references: [String], buildArgs: [String: String] = [:], policy: GatePolicy = .init(),
        judge: some GateJudge
    ) async throws -> [GateFinding] {
        var pending: [(source: String, file: String?, line: Int?, input: String)] = []
        for (path, text) in dockerfiles {
            let bases: [Dockerfile.Base]
            do { bases = try Dockerfile.bases(text, buildArgs: buildArgs) } catch { throw DockerfileError(file: path, error: error) }
            for base in bases { pending.append(("\(path):\(base.line)", path, base.line, base.reference)) }
        }
        for reference in references { pending.append(("argument", nil, nil, reference)) }
        let judgments = try await judge.judge(pending.map(\.input), policy: policy)
        return zip(pending, judgments).map { GateFinding(source: $0.source, file: $0.file, line: $0.line, judgment: $1) }
    }

    /// Rewrites each literal base `name:tag` (or stale `name:tag@digest`) of a Dockerfile to
    /// `name:tag@<current approved digest>`, keeping every other byte.
    public static func pin(_ text: String, buildArgs: [String: String] = [:], judge: some GateJudge) async throws -> PinResult {
        var result = PinResult(text: text, changes: [], skipped: [])
        var replacements: [(Range<Int>, String, Int, String)] = []
        var literal: [(base: Dockerfile.Base, range: Range<Int>)] = []
        for base in try Dockerfile.bases(text, buildArgs: buildArgs) {
            guard let range = base.range else {
                result.skipped.append((base.line, base.written, "uses variables; pin the value where it is set"))
                continue
            }
            literal.append((base, range))
        }
        let judgments = try await judge.judge(literal.map(\.base.written), policy: GatePolicy())
        for ((base, range), judgment) in zip(literal, judgments) {
            guard let reference = judgment.reference, let tag = reference.tag else {
                result.skipped.append((base.line, base.written, judgment.reference == nil ? judgment.reason : "has no tag to pin"))
                continue
            }
            guard let image = judgment.trackedBy else {
                result.skipped.append((base.line, base.written, "not in the catalog: no entry tracks \(reference.repository):\(tag)"))
                continue
            }
            guard let current = judgment.currentDigest else {
                result.skipped.append((base.line, base.written, "\(image) tracks it but has no approved digest for it yet"))
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

extension Catalog {
    /// Judges every base of the Dockerfiles and every reference.
    public func gate(
        dockerfiles: [(path: String, text: String)], references: [String], buildArgs: [String: String] = [:], policy: GatePolicy = .init()
    ) async throws -> [GateFinding] {
        try await Gate.findings(dockerfiles: dockerfiles, references: references, buildArgs: buildArgs, policy: policy, judge: self)
    }

    /// Rewrites each literal base of a Dockerfile to its current approved digest (`Gate.pin`).
    public func pin(_ text: String, buildArgs: [String: String] = [:]) async throws -> PinResult {
        try await Gate.pin(text, buildArgs: buildArgs, judge: self)
    }
}
