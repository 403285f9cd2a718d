import ArgumentParser
import Foundation
import PlinthCatalog
import PlinthCore
import PlinthServer
import PlinthStore

struct Lookup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the verdict of a digest or reference.",
        discussion: """
            A reference without a digest (debian:bookworm-slim) is looked up through the catalog \
            entry that tracks its tag: the answer is that tag's current approved digest. \
            Exits 1 when the verdict is neither approved nor superseded within grace.
            """
    )

    @Argument(help: ArgumentHelp("sha256:… digest, or an image reference.", valueName: "digest|reference"))
    var target: String

    @OptionGroup var store: StoreOptions
    @OptionGroup var server: ServerOptions
    @OptionGroup var output: OutputOptions

    struct Failure: CommandLineFailure {
        var description: String
    }

    typealias Answer = Components.Schemas.DigestVerdict

    func run() async throws {
        let parsed: DigestOrReference
        do { parsed = try DigestOrReference(parsing: target) } catch { throw ValidationError(error.description) }
        let answer: Answer = try await ReadSource.with(store, server) { source in
            let digest: Digest
            switch parsed {
            case .digest(let d): digest = d
            case .reference(let reference):
                if let d = reference.digest {
                    digest = d
                } else {
                    let current: Digest?
                    switch source {
                    case .local(let catalog): current = try await catalog.currentDigest(of: reference)
                    case .remote(let remote):
                        // The tracked tag's current approved digest, as the gate names it.
                        let judgment = try await remote.judge([reference.description], policy: GatePolicy()).first
                        current = judgment?.trackedBy == nil ? nil : judgment?.currentDigest
                    }
                    guard let current else { throw Failure(description: "\(reference) is not a tracked tag with an approved digest; pass a digest") }
                    digest = current
                }
            }
            // Both sources give the API's answer; it prints the same from either.
            switch source {
            case .local(let catalog): return try APIJSON.decode(Answer.self, from: try APIJSON.digest(try await catalog.lookup(digest)))
            case .remote(let remote):
                return try await remote.digest(digest)
                    ?? Answer(digest: digest.description, verdict: .unknown, kind: .manifest, mediaType: "", standings: [], reason: Catalog.unknownReason)
            }
        }
        if output.json {
            Output.write(String(decoding: try APIJSON.encode(answer), as: UTF8.self))
        } else {
            Output.write(Self.describe(answer))
        }
        if Verdict(rawValue: answer.verdict.rawValue)?.passes != true { throw ExitCode(1) }
    }

    static func describe(_ answer: Answer) -> String {
        var rows: [[String]] = [["digest", answer.digest], ["verdict", answer.verdict.rawValue]]
        if let best = answer.standings.first {
            let tags = answer.standings.filter { $0.image == best.image }.map(\.tag).joined(separator: ", ")
            rows.append(["image", "\(best.image)  (\(best.repository): \(tags))"])
        }
        if let platform = answer.platform, let index = answer.index {
            rows.append(["platform", "\(platform) in index \(index)"])
        } else if answer.kind == .index, let platforms = answer.platforms, !platforms.isEmpty {
            rows.append(["platforms", platforms.map(\.platform).joined(separator: ", ")])
        }
        if let current = answer.currentDigest, current != answer.digest, current != answer.index {
            rows.append(["current", current])
        }
        if let approval = answer.standings.first?.approval {
            rows.append(["approved", "\(RFC3339.format(approval.at)) by \(approval.by)"])
        }
        if let grace = answer.graceUntil { rows.append(["grace until", RFC3339.format(grace)]) }
        if let revocation = answer.revocation {
            var text = "\(RFC3339.format(revocation.at)) by \(revocation.by): \(revocation.reason)"
            if let manifest = revocation.manifest, let platform = revocation.platform { text += " (its \(platform) manifest \(manifest))" }
            if let index = revocation.index { text += " (its index \(index))" }
            rows.append(["revoked", text])
        }
        if let signature = answer.signature {
            rows.append(["signature", (signature.verified ? "verified: " : "not verified: ") + signature.reason])
        }
        if let first = answer.firstSeen { rows.append(["first seen", RFC3339.format(first)]) }
        if let last = answer.lastSeen { rows.append(["last seen", RFC3339.format(last)]) }
        if let health = answer.health {
            let counts = AdvisorySeverity.allCases.reversed().compactMap { s in Self.count(health.advisories, s).map { "\($0) \(s.rawValue)" } }
            var text = (health.grade?.rawValue ?? "not graded") + (counts.isEmpty ? "" : "  (advisories: \(counts.joined(separator: ", ")))")
            if let drop = health.nextDropAt { text += ", drops \(RFC3339.format(drop))" }
            if let note = health.note { text += "; \(note)" }
            rows.append(["health", text])
        }
        rows.append(["reason", answer.reason ?? ""])
        return Output.table(rows)
    }

    static func count(_ counts: Components.Schemas.SeverityCounts, _ severity: AdvisorySeverity) -> Int? {
        switch severity {
        case .critical: counts.critical
        case .high: counts.high
        case .medium: counts.medium
        case .low: counts.low
        case .negligible: counts.negligible
        case .unknown: counts.unknown
        }
    }
}
