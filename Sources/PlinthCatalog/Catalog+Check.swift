import Foundation
import PlinthCore

/// The verdict of one item of a check: a digest, or a reference pinned (or not) by digest.
public struct CheckResult: Sendable, Hashable {
    public enum Outcome: Sendable, Hashable {
        case verdict(Verdict)
        /// A reference with no digest: nothing to judge, and a CI gate fails it.
        case unpinned
        /// Neither a digest nor a reference; the reason says what is wrong with it.
        case invalid
    }

    public var input: String
    public var reference: ImageReference?
    public var digest: Digest?
    public var outcome: Outcome
    public var currentDigest: Digest?
    public var reason: String

    public var passes: Bool {
        if case .verdict(let verdict) = outcome { return verdict.passes }
        return false
    }
}

extension Catalog {
    /// Judges each item: `sha256:…` alone, or an image reference. An item that is neither
    /// fails with the verdict `invalid` and a reason; the others are judged all the same.
    public func check(_ inputs: [String]) async throws -> [CheckResult] {
        var results: [CheckResult] = []
        for input in inputs {
            let reference: ImageReference?
            let digest: Digest?
            do {
                switch try DigestOrReference(parsing: input) {
                case .digest(let d): (reference, digest) = (nil, d)
                case .reference(let r): (reference, digest) = (r, r.digest)
                }
            } catch {
                results.append(CheckResult(input: input, reference: nil, digest: nil, outcome: .invalid, currentDigest: nil, reason: error.description))
                continue
            }
            guard let digest else {
                results.append(
                    CheckResult(
                        input: input, reference: reference, digest: nil, outcome: .unpinned, currentDigest: nil,
                        reason: "not pinned by digest: pin it as \(reference!.repository)\(reference!.tag.map { ":" + $0 } ?? "")@sha256:…"))
                continue
            }
            let answer = try await lookup(digest)
            var reason = Self.reason(answer)
            if let reference, answer.verdict.verdict != .unknown,
                !answer.verdict.standings.contains(where: { $0.repository == reference.repository })
            {
                reason += "; note: the digest belongs to \(answer.verdict.standings[0].repository), not \(reference.repository)"
            }
            results.append(
                CheckResult(
                    input: input, reference: reference, digest: digest, outcome: .verdict(answer.verdict.verdict),
                    currentDigest: answer.currentDigest, reason: reason))
        }
        return results
    }

    /// One sentence a person can act on.
    public static func reason(_ answer: DigestAnswer) -> String {
        let verdict = answer.verdict
        let place = verdict.standings.first.map { "\($0.image) (\($0.repository):\($0.tag))" } ?? ""
        switch verdict.verdict {
        case .approved: return "approved: current digest of \(place)"
        case .superseded:
            return "superseded in \(place); accepted until \(verdict.graceUntil.map(RFC3339.format) ?? "?"), move to \(verdict.currentDigest?.description ?? "the current digest")"
        case .expired:
            return "expired: superseded in \(place) and past its grace period; move to \(verdict.currentDigest?.description ?? "the current digest")"
        case .pending: return "pending: seen in \(place), waiting for a curator's approval"
        case .revoked: return "revoked by \(verdict.revocation?.by ?? "a curator"): \(verdict.revocation?.reason ?? "no reason given")"
        case .unknown: return "unknown: Plinth has never seen this digest"
        }
    }
}
