import Foundation
import Hummingbird
import OpenAPIRuntime
import PlinthCatalog
import PlinthCore
import PlinthStore

/// What is inside a digest: packages, advisories, and what changed between two.
extension APIHandler {
    func getDigestPackages(_ input: Operations.GetDigestPackages.Input) async throws -> Operations.GetDigestPackages.Output {
        let answer = try await knownDigest(input.path.digest)
        var manifests: [Components.Schemas.ManifestPackages] = []
        let targets: [(Digest, Platform?)] = [(answer.digest, answer.platform)] + answer.platforms.map { ($0.digest, $0.platform) }
        for (digest, platform) in targets {
            let packages = try await catalog.store.packages(of: digest)
            guard !packages.isEmpty else { continue }
            manifests.append(.init(digest: digest.description, platform: platform?.description, packages: packages.compactMap(Representation.package)))
        }
        var os: String?
        if let image = answer.verdict.standings.first?.image, let entry = try await catalog.store.entry(named: image)?.entry {
            os = "\(entry.os.family) \(entry.os.version)"
        }
        return .ok(.init(body: .json(.init(digest: answer.digest.description, os: os, manifests: manifests))))
    }

    func getDigestSBOM(_ input: Operations.GetDigestSBOM.Input) async throws -> Operations.GetDigestSBOM.Output {
        let digest = try Self.digest(input.path.digest)
        var platform: Platform?
        if let text = input.query.platform {
            do { platform = try Platform(parsing: text) } catch { throw CurationError.invalid(field: "platform", message: error.description) }
        }
        let subject = try await catalog.sbomSubject(of: digest, platform: platform)
        switch input.query.format {
        case .spdx: return .ok(.init(body: .applicationSpdxJson(.init(additionalProperties: try Self.object(SBOMFormat.spdx.document(subject))))))
        case .cyclonedx: return .ok(.init(body: .applicationVnd_cyclonedxJson(.init(additionalProperties: try Self.object(SBOMFormat.cyclonedx.document(subject))))))
        }
    }

    func getRenovateReleases(_ input: Operations.GetRenovateReleases.Input) async throws -> Operations.GetRenovateReleases.Output {
        let releases = try await catalog.renovateReleases(of: try Self.validName(input.path.name))
        return .ok(
            .init(
                body: .json(
                    .init(
                        homepage: releases.homepage, sourceUrl: releases.sourceUrl,
                        releases: releases.releases.map {
                            .init(version: $0.version, digest: $0.digest.description, releaseTimestamp: $0.releaseTimestamp, isDeprecated: $0.isDeprecated)
                        }))))
    }

    func getImageVEX(_ input: Operations.GetImageVEX.Input) async throws -> Operations.GetImageVEX.Output {
        let name = try Self.validName(input.path.name)
        return .ok(.init(body: .json(.init(additionalProperties: try Self.object(try await catalog.vex(of: name).json())))))
    }

    /// A document the catalog wrote as JSON, as the generated types carry a free-form object.
    static func object(_ json: Data) throws -> OpenAPIObjectContainer {
        try JSONDecoder().decode(OpenAPIObjectContainer.self, from: json)
    }

    func getDigestAdvisories(_ input: Operations.GetDigestAdvisories.Input) async throws -> Operations.GetDigestAdvisories.Output {
        let answer = try await knownDigest(input.path.digest)
        let report = try await catalog.advisories(of: answer.digest)
        return .ok(
            .init(body: .json(.init(digest: answer.digest.description, ecosystems: report.ecosystems, items: report.findings.map(Representation.finding), note: report.note))))
    }

    func getDiff(_ input: Operations.GetDiff.Input) async throws -> Operations.GetDiff.Output {
        let from = try Self.digest(input.query.from), to = try Self.digest(input.query.to)
        return .ok(.init(body: .json(Representation.diff(try await catalog.diff(from: from, to: to)))))
    }

    func exceptAdvisory(_ input: Operations.ExceptAdvisory.Input) async throws -> Operations.ExceptAdvisory.Output {
        let principal = try RequestAuth.require(.curator)
        let name = try Self.validName(input.path.name)
        guard case .json(let body) = input.body else { throw HTTPError(.unsupportedMediaType) }
        try await catalog.exceptAdvisory(
            body.advisory, image: name, expires: body.expiresAt, justification: body.justification.flatMap { VEXJustification(rawValue: $0.rawValue) },
            actor: principal.actor, reason: body.reason)
        return .noContent(.init())
    }

    /// The answer for a digest Plinth has seen; a problem otherwise.
    func knownDigest(_ text: String) async throws -> DigestAnswer {
        let digest = try Self.digest(text)
        let answer = try await catalog.lookup(digest)
        guard answer.verdict.verdict != .unknown else { throw CatalogError.digestNotFound(digest) }
        return answer
    }
}
