import Foundation
import PlinthCore
import PlinthStore

/// What changed between two digests: the answer to "why did the digest change?".
public struct DigestDiff: Sendable, Hashable {
    public struct PackageChange: Sendable, Hashable {
        public var name: String
        public var arch: String?
        public var from: String?
        public var to: String?
    }

    public var from: Digest
    public var to: Digest
    /// The platforms compared (for indexes: those both have; for manifests: none named).
    public var platformsCompared: [Platform]
    public var platformsGained: [Platform]
    public var platformsLost: [Platform]
    public var added: [PackageChange]
    public var removed: [PackageChange]
    public var upgraded: [PackageChange]
    public var downgraded: [PackageChange]
    /// Advisories that affect `from` and not `to`, and the reverse.
    public var advisoriesFixed: [String]
    public var advisoriesIntroduced: [String]
    /// Why a part could not be compared, when so.
    public var notes: [String]
    /// How each compared platform manifest's attack surface changed (where both were read).
    public var surface: [SurfaceChange] = []

    /// What a move did to a platform manifest's attack surface.
    public struct SurfaceChange: Sendable, Hashable {
        public var platform: Platform?
        public var shellsAdded: [String]
        public var shellsRemoved: [String]
        public var packageManagersAdded: [String]
        public var packageManagersRemoved: [String]
        public var setuidAdded: [String]
        public var setuidRemoved: [String]
        public var userFrom: String
        public var userTo: String
        public var bytesFrom: Int
        public var bytesTo: Int

        /// Growth of the uncompressed size, in whole percent (negative when it shrank).
        public var sizeChangePercent: Int { bytesFrom == 0 ? 0 : Int(((Double(bytesTo) - Double(bytesFrom)) / Double(bytesFrom) * 100).rounded()) }

        /// What a reviewer should notice: a shell, package manager or setuid file added, a
        /// switch to root, or 10% or more in size.
        public var warnings: [String] {
            var found: [String] = []
            let on = platform.map { " on \($0)" } ?? ""
            if !shellsAdded.isEmpty { found.append("adds shell \(shellsAdded.joined(separator: ", "))\(on)") }
            if !packageManagersAdded.isEmpty { found.append("adds package manager \(packageManagersAdded.joined(separator: ", "))\(on)") }
            if !setuidAdded.isEmpty { found.append("adds setuid \(setuidAdded.joined(separator: ", "))\(on)") }
            if userFrom != userTo, Surface.isRoot(userTo), !Surface.isRoot(userFrom) { found.append("runs as root (was \(userFrom))\(on)") }
            if sizeChangePercent >= 10 {
                found.append("grows \(sizeChangePercent)% (\(SurfaceRules.megabytes(bytesFrom)) → \(SurfaceRules.megabytes(bytesTo)))\(on)")
            }
            return found
        }

        init(platform: Platform?, _ a: SurfaceReport, _ b: SurfaceReport) {
            func added(_ x: [String], _ y: [String]) -> [String] { y.filter { !x.contains($0) } }
            self.platform = platform
            shellsAdded = added(a.shells, b.shells)
            shellsRemoved = added(b.shells, a.shells)
            packageManagersAdded = added(a.packageManagers, b.packageManagers)
            packageManagersRemoved = added(b.packageManagers, a.packageManagers)
            setuidAdded = added(a.setuid, b.setuid)
            setuidRemoved = added(b.setuid, a.setuid)
            userFrom = a.user
            userTo = b.user
            bytesFrom = a.uncompressedBytes
            bytesTo = b.uncompressedBytes
        }
    }

    /// One line for changelogs: `+2 −1 packages, 3 upgraded; fixes 1 advisory`.
    public var summary: String {
        var parts: [String] = []
        if !added.isEmpty || !removed.isEmpty { parts.append("+\(added.count) −\(removed.count) packages") }
        if !upgraded.isEmpty { parts.append("\(upgraded.count) upgraded") }
        if !downgraded.isEmpty { parts.append("\(downgraded.count) downgraded") }
        if !advisoriesFixed.isEmpty { parts.append("fixes \(advisoriesFixed.count) advisor\(advisoriesFixed.count == 1 ? "y" : "ies")") }
        if !advisoriesIntroduced.isEmpty { parts.append("introduces \(advisoriesIntroduced.count)") }
        if !platformsGained.isEmpty { parts.append("gains \(platformsGained.map(\.description).joined(separator: ", "))") }
        if !platformsLost.isEmpty { parts.append("loses \(platformsLost.map(\.description).joined(separator: ", "))") }
        let warnings = surface.flatMap(\.warnings)
        if parts.isEmpty, !warnings.isEmpty { return warnings.joined(separator: "; ") }
        parts += warnings
        return parts.isEmpty ? (notes.first ?? "no package changes") : parts.joined(separator: ", ")
    }
}

extension Catalog {
    /// Compares two digests Plinth knows: platforms, packages per platform both have (in the
    /// OS's version order), and the advisories that affect each.
    public func diff(from: Digest, to: Digest) async throws -> DigestDiff {
        let generation = try await currentGeneration()
        let key = VerdictCache.DiffKey(from: from, to: to)
        if let kept = cache.diffs.value(for: key, generation: generation, now: now()) { return kept }
        let diff = try await computeDiff(from: from, to: to)
        // Made from the two answers (their packages and advisories; an import touches everything).
        var dependencies = VerdictCache.dependencies(of: try await lookup(from))
        dependencies.formUnion(VerdictCache.dependencies(of: try await lookup(to)))
        cache.diffs.store(diff, for: key, generation: generation, dependencies: dependencies)
        return diff
    }

    func computeDiff(from: Digest, to: Digest) async throws -> DigestDiff {
        let a = try await lookup(from), b = try await lookup(to)
        for answer in [a, b] where answer.verdict.verdict == .unknown {
            throw CatalogError.digestNotFound(answer.digest)
        }
        let platformsA = Set(a.platforms.map(\.platform)), platformsB = Set(b.platforms.map(\.platform))
        var diff = DigestDiff(
            from: from, to: to, platformsCompared: [], platformsGained: platformsB.subtracting(platformsA).sorted { $0.description < $1.description },
            platformsLost: platformsA.subtracting(platformsB).sorted { $0.description < $1.description }, added: [], removed: [], upgraded: [],
            downgraded: [], advisoriesFixed: [], advisoriesIntroduced: [], notes: [])

        // Manifests to compare, pairwise: matching platforms of two indexes, or the two digests.
        var pairs: [(Digest, Digest)] = []
        var pairPlatforms: [Platform?] = []
        if a.kind == .index, b.kind == .index {
            let childrenB = Dictionary(b.platforms.map { ($0.platform, $0.digest) }, uniquingKeysWith: { first, _ in first })
            for child in a.platforms.sorted(by: { $0.platform.description < $1.platform.description }) {
                if let other = childrenB[child.platform] {
                    pairs.append((child.digest, other))
                    pairPlatforms.append(child.platform)
                    diff.platformsCompared.append(child.platform)
                }
            }
        } else {
            pairs.append((from, to))
            pairPlatforms.append(nil)
        }
        for ((x, y), platform) in zip(pairs, pairPlatforms) {
            if let one = try await store.surface(of: x), let two = try await store.surface(of: y) {
                diff.surface.append(DigestDiff.SurfaceChange(platform: platform, one, two))
            }
        }
        let entry = try await a.verdict.standings.first.asyncMap { try await store.entry(named: $0.image)?.entry }
        let scheme = entry.flatMap { AdvisoryEcosystem(family: $0.os.family, version: $0.os.version)?.scheme }
        var seen = Set<String>()
        var compared = false
        for (x, y) in pairs {
            let one = try await store.packages(of: x), two = try await store.packages(of: y)
            if one.isEmpty || two.isEmpty { continue }
            compared = true
            let before = Dictionary(one.map { ("\($0.name)\u{0}\($0.arch ?? "")", $0) }, uniquingKeysWith: { first, _ in first })
            let after = Dictionary(two.map { ("\($0.name)\u{0}\($0.arch ?? "")", $0) }, uniquingKeysWith: { first, _ in first })
            for key in Set(before.keys).union(after.keys).sorted() where seen.insert(key).inserted {
                let old = before[key], new = after[key]
                let change = DigestDiff.PackageChange(name: (old ?? new)!.name, arch: (old ?? new)!.arch, from: old?.version, to: new?.version)
                switch (old, new) {
                case (nil, _?): diff.added.append(change)
                case (_?, nil): diff.removed.append(change)
                case (let old?, let new?) where old.version != new.version:
                    let order = (try? scheme?.compare(old.version, new.version)) ?? (old.version < new.version ? -1 : 1)
                    if order < 0 { diff.upgraded.append(change) } else if order > 0 { diff.downgraded.append(change) }
                default: break
                }
            }
        }
        if !compared { diff.notes.append("packages are not known for both digests on any platform they share") }
        let fixedBefore = Set(try await advisories(for: a).findings.map(\.advisoryID))
        let fixedAfter = Set(try await advisories(for: b).findings.map(\.advisoryID))
        diff.advisoriesFixed = fixedBefore.subtracting(fixedAfter).sorted()
        diff.advisoriesIntroduced = fixedAfter.subtracting(fixedBefore).sorted()
        return diff
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T?) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
