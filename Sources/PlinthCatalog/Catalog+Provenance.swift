import Foundation
import PlinthCore
import PlinthStore

/// What Plinth hands scanners and auditors about a digest: its SBOM.
extension Catalog {
    /// The SBOM's subject: the digest (an index with each platform manifest whose packages
    /// were read, or one platform manifest), with the OS and packages its layers hold.
    /// `platform` narrows an index to one of its platforms.
    public func sbomSubject(of digest: Digest, platform: Platform? = nil) async throws -> SBOMSubject {
        let answer = try await lookup(digest)
        guard answer.verdict.verdict != .unknown else { throw CatalogError.digestNotFound(digest) }
        var subject = answer.digest
        var targets: [(Digest, Platform?)] = [(answer.digest, answer.platform)] + answer.platforms.map { ($0.digest, $0.platform) }
        if let platform {
            if answer.platform == platform {
                targets = [(answer.digest, platform)]
            } else if let child = answer.platforms.first(where: { $0.platform == platform }) {
                subject = child.digest
                targets = [(child.digest, platform)]
            } else {
                throw CatalogError.platformNotFound(platform.description)
            }
        }
        let entry = try await answer.verdict.standings.first.asyncMap { try await store.entry(named: $0.image)?.entry } ?? nil
        var parts: [SBOMSubject.Part] = []
        for (manifest, platform) in targets {
            let packages = try await store.packages(of: manifest)
            guard !packages.isEmpty else { continue }
            parts.append(.init(digest: manifest, platform: platform, os: try await osRelease(of: manifest, entry: entry), packages: packages))
        }
        guard !parts.isEmpty else { throw CatalogError.noPackages(subject) }
        let repository = answer.verdict.standings.first?.repository ?? ""
        return SBOMSubject(
            repository: repository, digest: subject, created: answer.firstSeen ?? now(), parts: parts, tool: PlinthRelease.tool)
    }
}

/// What Plinth hands scanners about an entry: its curators' exceptions as VEX.
extension Catalog {
    /// The entry's exceptions in force as an OpenVEX document: one `not_affected` statement
    /// per advisory excepted, about each tag's current digest (as a `pkg:oci` purl), with the
    /// packages of that digest the advisory names as subcomponents.
    public func vex(of name: String) async throws -> OpenVEXDocument {
        let view = try await image(named: name)
        let moment = now()
        let exceptions = try await store.exceptions(of: name).filter { $0.expiresAt > moment }
        guard !exceptions.isEmpty else { throw CatalogError.noExceptions(name) }
        // Each current digest once, with its findings and the purls of its packages by name.
        var digests: [Digest] = []
        for current in view.current { if let digest = current.digest, !digests.contains(digest) { digests.append(digest) } }
        var findings: [Digest: [AdvisoryFinding]] = [:]
        var purls: [Digest: [String: [String]]] = [:]
        for digest in digests {
            let answer = try await lookup(digest)
            findings[digest] = try await advisories(for: answer).findings
            var manifests = [digest]
            if answer.kind == .index { manifests += answer.platforms.map(\.digest) }
            for manifest in manifests {
                let os = try await osRelease(of: manifest, entry: view.entry)
                for package in try await store.packages(of: manifest) {
                    purls[digest, default: [:]][package.name, default: []].append(PackageURL.of(package, os: os))
                }
            }
        }
        let statements = exceptions.map { exception in
            OpenVEXDocument.Exception(
                advisory: exception.advisoryID, aliases: [], justification: exception.justification, reason: exception.reason, by: exception.by,
                at: exception.at,
                products: digests.map { digest in
                    let named = (findings[digest] ?? []).filter { $0.advisoryID == exception.advisoryID }.flatMap(\.binaries)
                    let packages = Array(Set(named.flatMap { purls[digest]?[$0] ?? [] })).sorted()
                    return (digest, PackageURL.oci(repository: view.entry.repository, digest: digest), packages)
                })
        }
        return OpenVEXDocument(image: name, author: view.entry.owner, exceptions: statements, tool: PlinthRelease.tool)
    }
}

extension Catalog {
    /// The OS a platform manifest's layers say it is; for one whose layers were not read
    /// (a seeded digest), the OS its entry names.
    func osRelease(of manifest: Digest, entry: CatalogEntry?) async throws -> PackageDatabase.OSRelease? {
        if let os = try await store.osRelease(of: manifest) { return os }
        return entry.map { PackageDatabase.OSRelease(id: $0.os.family, versionID: $0.os.version, prettyName: nil) }
    }
}

extension Optional {
    fileprivate func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
