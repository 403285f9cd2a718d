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
    @OptionGroup var output: OutputOptions

    struct Failure: CommandLineFailure {
        var description: String
    }

    func run() async throws {
        let parsed: DigestOrReference
        do { parsed = try DigestOrReference(parsing: target) } catch { throw ValidationError(error.description) }
        let catalog = try await store.catalog()
        let digest: Digest
        switch parsed {
        case .digest(let d): digest = d
        case .reference(let reference):
            if let d = reference.digest {
                digest = d
            } else {
                guard let current = try await catalog.currentDigest(of: reference) else {
                    throw Failure(description: "\(reference) is not a tracked tag with an approved digest; pass a digest")
                }
                digest = current
            }
        }
        let answer = try await catalog.lookup(digest)
        if output.json {
            Output.write(String(decoding: try APIJSON.digest(answer), as: UTF8.self))
        } else {
            Output.write(Self.describe(answer))
        }
        if !answer.verdict.verdict.passes { throw ExitCode(1) }
    }

    static func describe(_ answer: DigestAnswer) -> String {
        let verdict = answer.verdict
        var rows: [[String]] = [["digest", answer.digest.description], ["verdict", verdict.verdict.rawValue]]
        if let best = verdict.standings.first {
            let tags = verdict.standings.filter { $0.image == best.image }.map(\.tag).joined(separator: ", ")
            rows.append(["image", "\(best.image)  (\(best.repository): \(tags))"])
        }
        if let platform = answer.platform, let index = answer.index {
            rows.append(["platform", "\(platform) in index \(index)"])
        } else if answer.kind == .index, !answer.platforms.isEmpty {
            rows.append(["platforms", answer.platforms.map(\.platform.description).joined(separator: ", ")])
        }
        if let current = verdict.currentDigest, current != answer.digest, current != answer.index {
            rows.append(["current", current.description])
        }
        if let approval = verdict.standings.first?.approval {
            rows.append(["approved", "\(RFC3339.format(approval.at)) by \(approval.by)"])
        }
        if let grace = verdict.graceUntil { rows.append(["grace until", RFC3339.format(grace)]) }
        if let revocation = verdict.revocation {
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
            let counts = AdvisorySeverity.allCases.reversed().compactMap { s in health.advisories[s].map { "\($0) \(s.rawValue)" } }
            var text = (health.grade?.rawValue ?? "not graded") + (counts.isEmpty ? "" : "  (advisories: \(counts.joined(separator: ", ")))")
            if let drop = health.nextDrop { text += ", drops \(RFC3339.format(drop))" }
            if let note = health.note { text += "; \(note)" }
            rows.append(["health", text])
        }
        rows.append(["reason", Catalog.reason(answer)])
        return Output.table(rows)
    }
}
