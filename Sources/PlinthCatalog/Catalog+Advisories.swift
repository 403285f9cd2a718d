import Foundation
import PlinthCore
import PlinthStore

/// An advisory that affects a package installed in an image.
public struct AdvisoryFinding: Sendable, Hashable {
    public var advisoryID: String
    public var severity: AdvisorySeverity
    public var score: Double?
    public var summary: String?
    public var published: Date?
    public var ecosystem: String
    /// The source package the advisory names, and the version installed.
    public var package: String
    public var installedVersion: String
    /// The binary packages of the image built from it.
    public var binaries: [String]
    /// The version that fixes it in this ecosystem, if one exists.
    public var fixedVersion: String?
    /// A curator's exception that still applies, if any.
    public var exception: AdvisoryException?
}

/// The advisories of one digest, for lookups and lists.
public struct AdvisoryReport: Sendable, Hashable {
    /// The OSV ecosystems matched against; empty when the OS is one Plinth does not match yet.
    public var ecosystems: [String]
    public var findings: [AdvisoryFinding]
    /// Why nothing could be matched, when that is so ("rpm packages not read", ...).
    public var note: String?

    /// Findings not covered by an exception, by severity.
    public var counts: [AdvisorySeverity: Int] {
        Dictionary(grouping: findings.filter { $0.exception == nil }, by: \.severity).mapValues(\.count)
    }
}

/// A digest's health: its grade (see `HealthGrade`), when the grade next drops by the clock
/// alone, and the advisories that affect it by severity (exceptions left out).
public struct DigestHealth: Sendable, Hashable {
    /// Nil when the grade would say nothing: the OS's vendor publishes no advisories Plinth
    /// can match (Amazon Linux), so no finding could lower it (`note` says so).
    public var grade: HealthGrade?
    public var nextDrop: Date?
    public var advisories: [AdvisorySeverity: Int]
    /// Why advisories could not be matched, when so.
    public var note: String?
    /// When the first exception that hides a finding expires: the counts (and perhaps the
    /// grade) change then.
    public var exceptionExpires: Date? = nil
}

/// Why an advisory import was refused; nothing was written.
public struct AdvisoryImportError: Error, CustomStringConvertible, Sendable {
    public var problems: [String]
    public var description: String { problems.prefix(20).joined(separator: "\n") + (problems.count > 20 ? "\n… and \(problems.count - 20) more" : "") }
}

extension Catalog {
    /// Most bytes one advisory file may have.
    public static let maxAdvisoryBytes = 8 << 20

    /// Validates every record, then stores them all in one transaction; a record already
    /// stored is replaced only by a newer `modified`, so importing the same files twice
    /// changes nothing. Any invalid record refuses the whole import, naming each one.
    public func importAdvisories(_ files: [(name: String, data: Data)]) async throws -> AdvisoryImportOutcome {
        var writes: [AdvisoryWrite] = []
        var problems: [String] = []
        var seen: [String: String] = [:]
        for (name, data) in files {
            guard data.count <= Self.maxAdvisoryBytes else {
                problems.append("\(name): larger than \(Self.maxAdvisoryBytes) bytes")
                continue
            }
            do {
                let record = try OSVRecord.parse(data)
                if let other = seen[record.id] {
                    problems.append("\(name): \(record.id) is also in \(other)")
                    continue
                }
                seen[record.id] = name
                let (severity, score) = AdvisorySeverity.of(record)
                writes.append(AdvisoryWrite(record: record, document: String(decoding: data, as: UTF8.self), severity: severity, score: score))
            } catch {
                problems.append("\(name): \(error.description)")
            }
        }
        guard problems.isEmpty else { throw AdvisoryImportError(problems: problems) }
        return try await store.importAdvisories(writes)
    }

    /// Makes and keeps the health basis of every tracked tag's current digest, after an import
    /// dropped them all, so that lookups and lists do not match advisories on their first
    /// ask: 200 entries at a time, each batch's bases kept in one transaction. `progress`
    /// hears the digests graded and the entries read after each batch. Returns how many
    /// digests were graded.
    public func refreshHealth(progress: (_ digests: Int, _ entries: Int, _ of: Int) -> Void = { _, _, _ in }) async throws -> Int {
        let all = try await entries()
        var graded = 0
        for start in stride(from: 0, to: all.count, by: 200) {
            let batch = Array(all[start..<min(start + 200, all.count)])
            let generation = try await currentGeneration()
            let moment = now()
            var made: [Digest: HealthBasisRow] = [:]
            for (_, tags) in try await histories(of: batch.map(\.entry), collapsingRuns: true) {
                for digest in Set(tags.compactMap(\.currentDigest)) where made[digest] == nil {
                    var considered = VerdictCache.Dependencies()
                    let answer = try await computeAnswer(digest, now: moment, considered: &considered)
                    guard answer.verdict.verdict != .unknown else { continue }
                    let (_, row) = try await healthBasis(of: answer)
                    graded += 1
                    if let row { made[digest] = row }
                }
            }
            try await store.keepHealthBases(Array(made.values), madeAt: generation)
            progress(graded, start + batch.count, all.count)
        }
        return graded
    }

    /// The advisories affecting the packages of a digest (an index: each platform manifest's),
    /// matched in the ecosystems of the OS of the entry that tracks it.
    public func advisories(of digest: Digest) async throws -> AdvisoryReport {
        try await advisories(for: try await lookup(digest))
    }

    func advisories(for answer: DigestAnswer) async throws -> AdvisoryReport {
        let image = answer.verdict.standings.first?.image
        let entry = image == nil ? nil : try await entries().first { $0.entry.name == image }?.entry
        return try await advisories(for: answer, entry: entry, exceptionsInForceAt: now())
    }

    /// The advisories of an answer's packages, matched in the OS of `entry` (the entry that
    /// tracks it) unless its layers say otherwise; with `exceptionsInForceAt` nil, each finding
    /// carries the entry's exception for it however it stands by the clock.
    func advisories(for answer: DigestAnswer, entry: CatalogEntry?, exceptionsInForceAt moment: Date?) async throws -> AdvisoryReport {
        let digest = answer.digest
        guard let entry else {
            return AdvisoryReport(ecosystems: [], findings: [], note: "no catalog entry tracks this digest")
        }
        var manifests = [digest]
        if answer.kind == .index { manifests += answer.platforms.map(\.digest) }
        var packages: [InstalledPackage] = []
        var family = entry.os.family, version = entry.os.version
        for manifest in manifests {
            packages += try await store.packages(of: manifest)
            // What the layers say beats what the entry says.
            if let os = try await store.osRelease(of: manifest), let versionID = os.versionID {
                family = os.id
                version = versionID
            }
        }
        return try await advisories(packages: packages, family: family, version: version, image: entry.name, exceptionsInForceAt: moment)
    }

    /// The advisories affecting `packages` of an OS release.
    public func advisories(packages: [InstalledPackage], family: String, version: String, image: String?) async throws -> AdvisoryReport {
        try await advisories(packages: packages, family: family, version: version, image: image, exceptionsInForceAt: now())
    }

    func advisories(
        packages: [InstalledPackage], family: String, version: String, image: String?, exceptionsInForceAt inForceAt: Date?
    ) async throws -> AdvisoryReport {
        guard let ecosystem = AdvisoryEcosystem(family: family, version: version) else {
            let note = AdvisoryEcosystem.noFeed(family: family) ?? "advisories are not matched for \(family) \(version) yet"
            return AdvisoryReport(ecosystems: [], findings: [], note: note)
        }
        guard !packages.isEmpty else { return AdvisoryReport(ecosystems: ecosystem.names, findings: [], note: "no packages known for this digest") }
        // Most feeds name source packages (Debian `Source:`, Alpine origin, a source rpm) at
        // source versions; AlmaLinux names binary rpms, Red Hat either.
        var sources: [String: (version: String, binaries: Set<String>, module: String?)] = [:]
        for package in packages {
            var keys: [(String, String)] = []
            let source = (package.sourceName ?? package.name, package.sourceVersion ?? package.version)
            switch ecosystem.keys {
            case .source: keys = [source]
            case .binary: keys = [(package.name, package.version)]
            case .both: keys = [(package.name, package.version), source]
            }
            for (name, version) in keys {
                var entry = sources[name] ?? (version, [], package.module)
                entry.binaries.insert(package.name)
                sources[name] = entry
            }
        }
        var exceptions: [AdvisoryException] = []
        if let image { exceptions = try await store.exceptions(of: image) }
        let moment = inForceAt ?? .distantPast
        var findings: [AdvisoryFinding] = []
        var reported: Set<String> = []
        let affected = try await store.affected(ecosystems: ecosystem.names, packages: Set(sources.keys))
        // An advisory may list one package several times, one entry per build (AlmaLinux's
        // module builds): the version installed is fixed when it is any entry's fix.
        var fixes: [String: [String]] = [:]
        for stored in affected {
            fixes[stored.advisoryID + "\u{0}" + stored.package, default: []] += (stored.affected.ranges ?? []).flatMap { $0.events.compactMap(\.fixed) }
        }
        for stored in affected {
            guard let installed = sources[stored.package], !reported.contains(stored.advisoryID + "\u{0}" + stored.package),
                ecosystem.scheme != .rpm || ModularMatch.applies(stored, toModule: installed.module),
                !(fixes[stored.advisoryID + "\u{0}" + stored.package] ?? []).contains(where: { (try? ecosystem.scheme.compare($0, installed.version)) == 0 }),
                stored.lists(installed.version) || OSVEvaluation.isAffected(installed.version, by: stored.affected, scheme: ecosystem.scheme)
            else { continue }
            reported.insert(stored.advisoryID + "\u{0}" + stored.package)
            findings.append(
                AdvisoryFinding(
                    advisoryID: stored.advisoryID, severity: stored.severity, score: stored.score, summary: stored.summary, published: stored.published,
                    ecosystem: stored.ecosystem, package: stored.package, installedVersion: installed.version, binaries: installed.binaries.sorted(),
                    fixedVersion: OSVEvaluation.fixedVersion(for: installed.version, in: stored.affected, scheme: ecosystem.scheme),
                    exception: exceptions.first { $0.advisoryID == stored.advisoryID && $0.expiresAt > moment }))
        }
        findings.sort { ($1.severity, $0.advisoryID, $0.package) < ($0.severity, $1.advisoryID, $1.package) }
        return AdvisoryReport(ecosystems: ecosystem.names, findings: findings, note: nil)
    }

    /// The health of a digest whose verdict is known, from its health basis: the one the store
    /// keeps, or one made now (and kept, when nothing changed since `generation`).
    func health(of answer: DigestAnswer, generation: UInt64, now moment: Date) async throws -> DigestHealth {
        let (basis, made) = try await healthBasis(of: answer)
        if let made { try await store.keepHealthBases([made], madeAt: generation) }
        return basis.health(verdict: answer.verdict.verdict, graceUntil: answer.verdict.graceUntil, now: moment)
    }

    /// A digest's health basis: the one the store keeps, or one made now, with the row to keep
    /// it by when advisories were matched for it (the others cost a few reads to make).
    func healthBasis(of answer: DigestAnswer) async throws -> (HealthBasis, made: HealthBasisRow?) {
        let image = answer.verdict.standings.first?.image
        let stored = image == nil ? nil : try await entries().first { $0.entry.name == image }
        if let stored, let text = try await store.healthBasis(of: answer.digest, image: stored.entry.name, revision: stored.revision),
            let basis = try? HealthBasis.parse(text)
        {
            return (basis, nil)
        }
        let report = try await advisories(for: answer, entry: stored?.entry, exceptionsInForceAt: nil)
        let basis = HealthBasis(report)
        guard let stored, !report.ecosystems.isEmpty, report.note == nil else { return (basis, nil) }
        return (basis, HealthBasisRow(digest: answer.digest, image: stored.entry.name, revision: stored.revision, basis: try basis.json()))
    }

    /// Marks an advisory as not affecting an entry until `expires`, with a reason; audited.
    public func exceptAdvisory(
        _ advisory: String, image: String, expires: Date, justification: VEXJustification? = nil, actor: String, reason: String?
    ) async throws {
        try Self.checkReason(reason, required: true)
        guard expires > now() else { throw CurationError.invalid(field: "expires_at", message: "must be in the future") }
        try await curation {
            try await store.except(advisory, for: image, until: expires, justification: justification, Attribution(by: actor, at: now(), reason: reason))
        }
    }
}

/// Which rpm advisories apply to a package of a module stream, and which to a package of none.
/// No OSV feed of the RHEL family says which stream an entry is for: a modular build's
/// release says `.module+el…` (Red Hat, Rocky) or `.module_el…` (AlmaLinux), and the
/// advisory's summary names the stream (`nodejs:18 security update`).
enum ModularMatch {
    /// Whether any version an entry names is a module build.
    static func isModular(_ affected: OSVRecord.Affected) -> Bool {
        let versions = (affected.ranges ?? []).flatMap { $0.events.flatMap { [$0.introduced, $0.fixed, $0.last_affected].compactMap { $0 } } }
            + (affected.versions ?? [])
        return versions.contains { $0.contains(".module+") || $0.contains(".module_") }
    }

    /// A package of no module matches only entries for builds of none; a package of module
    /// stream `name:stream` matches only module builds, and, when the summary names streams
    /// of that module, only if one of them is its stream.
    static func applies(_ stored: StoredAffected, toModule label: String?) -> Bool {
        let modular = isModular(stored.affected)
        guard let label else { return !modular }
        guard modular else { return false }
        let parts = label.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 2, let summary = stored.summary else { return true }
        let name = String(parts[0]), stream = String(parts[1])
        let named = streams(of: name, in: summary)
        return named.isEmpty || named.contains(stream)
    }

    /// The streams of module `name` a text names (`nodejs:18` and `nodejs:20` in
    /// "nodejs:18 and nodejs:20 security update" give 18 and 20).
    static func streams(of name: String, in text: String) -> Set<String> {
        var found: Set<String> = []
        var rest = Substring(text)
        while let range = rest.range(of: name + ":") {
            let before = range.lowerBound == text.startIndex ? nil : rest.base[rest.base.index(before: range.lowerBound)]
            let stream = rest[range.upperBound...].prefix { $0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-" }
            if before.map({ !($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) ?? true, !stream.isEmpty {
                found.insert(String(stream.hasSuffix(".") ? stream.dropLast() : stream))
            }
            rest = rest[range.upperBound...]
        }
        return found
    }
}
