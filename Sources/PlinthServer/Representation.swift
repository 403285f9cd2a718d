public import Foundation
import OpenAPIRuntime
public import PlinthCatalog
public import PlinthCore
public import PlinthStore

/// Catalog answers as the API's types (`openapi.yaml`'s schemas), in one place, so that
/// the server and the CLI's `--json` print the same objects.
enum Representation {
    typealias S = Components.Schemas

    static func image(_ view: ImageView) -> S.Image {
        let e = view.entry
        return S.Image(
            name: e.name, title: e.title, repository: e.repository, tags: e.tags, status: .init(rawValue: e.status.rawValue)!,
            os: .init(family: e.os.family, version: e.os.version, codename: e.os.codename, eol: e.os.eol?.description),
            platforms: e.platforms.map(\.description),
            workloads: e.workloads.map { .init(workload: $0.workload, support: .init(rawValue: $0.support.rawValue)!, notes: $0.notes) },
            owner: e.owner, rationale: e.rationale, tradeoffs: e.tradeoffs, source: e.source, successor: e.successor,
            approval: .init(policy: .init(rawValue: e.approval.policy.rawValue)!, graceDays: e.approval.graceDays),
            signatures: e.signatures.map {
                .init(
                    required: $0.required, keys: $0.keys,
                    identities: $0.identities.isEmpty
                        ? nil : $0.identities.map { .init(issuer: $0.issuer, subject: $0.subject, subjectRegex: $0.subjectRegex) })
            },
            surface: e.surface.map(surfaceRules), review: e.review.map { .init(every: "\($0.everyDays)d") },
            current: view.current.map { .init(tag: $0.tag, digest: $0.digest?.description, approvedAt: $0.since, grade: $0.grade.map(grade)) },
            createdAt: view.stored.createdAt, updatedAt: view.stored.updatedAt, revision: view.stored.revision)
    }

    static func surfaceRules(_ r: SurfaceRules) -> S.SurfaceRules {
        S.SurfaceRules(
            shell: r.shell.map { .init(rawValue: $0.rawValue)! }, packageManager: r.packageManager.map { .init(rawValue: $0.rawValue)! },
            nonRoot: r.nonRoot.map { .init(rawValue: $0.rawValue)! }, setuid: r.setuid.map { .init(rawValue: $0.rawValue)! }, maxSizeMb: r.maxSizeMB)
    }

    static func review(_ status: ReviewStatus) -> S.ReviewStatus {
        S.ReviewStatus(
            image: status.image, everyDays: status.everyDays,
            lastReview: status.last.map { .init(at: $0.at, by: $0.by, note: $0.note) }, dueAt: status.dueAt, overdue: status.overdue)
    }

    static func approval(_ a: Approval?) -> S.Approval? {
        a.map { .init(by: $0.by, at: $0.at, reason: $0.reason) }
    }

    static func history(_ view: ImageView, _ tags: [TagHistory]) -> S.ImageHistory {
        S.ImageHistory(
            image: view.entry.name, repository: view.entry.repository,
            tags: tags.map { tag in
                S.TagHistory(
                    tag: tag.tag, currentDigest: tag.currentDigest?.description,
                    observations: tag.items.map { item in
                        S.HistoryEntry(
                            digest: item.observation.digest.description, firstSeen: item.observation.firstSeen,
                            lastSeen: item.observation.lastSeen, source: item.observation.source,
                            verdict: .init(rawValue: (item.verdict?.verdict ?? .unknown).rawValue)!,
                            approval: approval(item.verdict?.approval), graceUntil: item.verdict?.graceUntil,
                            flags: item.observation.flags.isEmpty ? nil : item.observation.flags)
                    },
                    sync: tag.sync.map { .init(lastAttemptAt: $0.lastAttemptAt, lastSuccessAt: $0.lastSuccessAt, lastError: $0.lastError, lastErrorAt: $0.lastErrorAt) },
                    hold: tag.hold.map { hold($0, tag: tag.tag) })
            })
    }

    static func digest(_ answer: DigestAnswer) -> S.DigestVerdict {
        let verdict = answer.verdict
        let best = verdict.standings.first
        return S.DigestVerdict(
            digest: answer.digest.description, verdict: .init(rawValue: verdict.verdict.rawValue)!,
            kind: answer.kind == .index ? .index : .manifest, mediaType: answer.mediaType?.rawValue ?? "",
            image: best?.image, repository: best?.repository,
            tags: best.map { best in verdict.standings.filter { $0.image == best.image }.map(\.tag) },
            platform: answer.platform?.description, index: answer.index?.description,
            platforms: answer.kind == .index
                ? answer.platforms.map { .init(platform: $0.platform.description, digest: $0.digest.description, mediaType: $0.mediaType.rawValue) }
                : nil,
            currentDigest: verdict.currentDigest?.description, approval: approval(best?.approval), graceUntil: verdict.graceUntil,
            revocation: verdict.revocation.map { .init(by: $0.by, at: $0.at, reason: $0.reason, manifest: $0.manifest?.description, platform: $0.platform?.description, index: $0.index?.description) },
            firstSeen: answer.firstSeen, lastSeen: answer.lastSeen,
            standings: verdict.standings.map { s in
                S.Standing(
                    image: s.image, repository: s.repository, tag: s.tag, verdict: .init(rawValue: s.verdict.rawValue)!,
                    currentDigest: s.currentDigest?.description, approval: approval(s.approval), supersededAt: s.supersededAt,
                    graceUntil: s.graceUntil, firstSeen: s.firstSeen, lastSeen: s.lastSeen)
            },
            health: answer.health.map(health),
            signature: answer.signature.map(signature), reason: Catalog.reason(answer))
    }

    static func signature(_ check: SignatureCheck) -> S.SignatureCheck {
        S.SignatureCheck(
            verified: check.verified, method: check.method.flatMap { .init(rawValue: $0) }, signer: check.signer, source: check.source, found: check.found,
            reason: check.reason, checkedAt: check.checkedAt)
    }

    static func grade(_ grade: HealthGrade) -> S.HealthGrade { S.HealthGrade(rawValue: grade.rawValue)! }

    static func health(_ health: DigestHealth) -> S.Health {
        let counts = health.advisories
        return S.Health(
            grade: health.grade.map(grade), nextDropAt: health.nextDrop,
            advisories: .init(
                critical: counts[.critical], high: counts[.high], medium: counts[.medium], low: counts[.low], negligible: counts[.negligible],
                unknown: counts[.unknown]),
            note: health.note)
    }

    static func package(_ p: InstalledPackage) -> S.Package? {
        guard let type = S.Package._TypePayload(rawValue: p.type) else { return nil }
        var rpm: S.RPMHeaderFields?
        if type == .rpm {
            let evr = RPMVersion(parsing: p.version)
            rpm = S.RPMHeaderFields(
                epoch: p.version.contains(":") ? Int(evr.epoch) : nil, version: evr.version, release: evr.release ?? "", sourceRpm: p.sourceRPM,
                module: p.module)
        }
        return S.Package(
            _type: type, name: p.name, version: p.version, arch: p.arch, sourceName: p.sourceName, sourceVersion: p.sourceVersion, rpm: rpm)
    }

    static func finding(_ f: AdvisoryFinding) -> S.AdvisoryFinding {
        S.AdvisoryFinding(
            id: f.advisoryID, severity: .init(rawValue: f.severity.rawValue)!, score: f.score, summary: f.summary, published: f.published,
            ecosystem: f.ecosystem, package: f.package, installedVersion: f.installedVersion, binaries: f.binaries, fixedVersion: f.fixedVersion,
            exception: f.exception.map {
                .init(reason: $0.reason, by: $0.by, expiresAt: $0.expiresAt, justification: $0.justification.flatMap { .init(rawValue: $0.rawValue) })
            })
    }

    static func diff(_ d: DigestDiff) -> S.DigestDiff {
        func changes(_ list: [DigestDiff.PackageChange]) -> [S.PackageChange] { list.map { .init(name: $0.name, arch: $0.arch, from: $0.from, to: $0.to) } }
        return S.DigestDiff(
            from: d.from.description, to: d.to.description, summary: d.summary, platformsCompared: d.platformsCompared.map(\.description),
            platformsGained: d.platformsGained.map(\.description), platformsLost: d.platformsLost.map(\.description), added: changes(d.added),
            removed: changes(d.removed), upgraded: changes(d.upgraded), downgraded: changes(d.downgraded), advisoriesFixed: d.advisoriesFixed,
            advisoriesIntroduced: d.advisoriesIntroduced, notes: d.notes.isEmpty ? nil : d.notes,
            surface: d.surface.isEmpty
                ? nil
                : d.surface.map {
                    .init(
                        platform: $0.platform?.description, shellsAdded: $0.shellsAdded, shellsRemoved: $0.shellsRemoved,
                        packageManagersAdded: $0.packageManagersAdded, packageManagersRemoved: $0.packageManagersRemoved, setuidAdded: $0.setuidAdded,
                        setuidRemoved: $0.setuidRemoved, userFrom: $0.userFrom, userTo: $0.userTo, bytesFrom: $0.bytesFrom, bytesTo: $0.bytesTo,
                        sizeChangePercent: $0.sizeChangePercent, warnings: $0.warnings)
                })
    }

    static func checkResult(_ j: Judgment) -> S.CheckResult {
        S.CheckResult(
            input: j.input, reference: j.reference?.description, digest: j.digest?.description, verdict: .init(rawValue: j.outcome.description)!,
            currentDigest: j.currentDigest?.description, reason: j.reason, passes: j.passes, rebuildNeeded: j.rebuildNeeded,
            imageDigest: j.image?.description, trackedBy: j.trackedBy)
    }

    /// The report's own JSON (its keys are the schema's) read as the generated type.
    static func surface(_ surface: DigestSurface) throws -> S.DigestSurface {
        S.DigestSurface(
            digest: surface.digest.description,
            platforms: try surface.platforms.map { item in
                S.PlatformSurface(
                    platform: item.platform?.description, manifest: item.manifest.description,
                    surface: try item.report.map { try JSONDecoder().decode(S.SurfaceReport.self, from: Data(try SurfaceReport.json($0).utf8)) })
            })
    }

    static func builtImage(_ image: BuiltImage) -> S.BuiltImage {
        S.BuiltImage(
            repository: image.repository, manifest: image.manifest.description, base: image.base.description, reference: image.reference,
            source: .init(rawValue: image.source.rawValue)!, firstSeen: image.firstSeen, lastSeen: image.lastSeen)
    }

    static func gatePolicy(_ p: S.GatePolicy?) -> GatePolicy {
        GatePolicy(
            allowUnpinnedTracked: p?.allowUnpinnedTracked ?? false, minimumGrade: p?.minGrade.flatMap { HealthGrade(rawValue: $0.rawValue) },
            failOnDeprecated: p?.failOnDeprecated ?? false, failOnRebuildNeeded: p?.failOnRebuild ?? false)
    }

    static func hold(_ hold: Hold, tag: String) -> S.Hold {
        S.Hold(tag: tag, digest: hold.digest.description, by: hold.by, at: hold.at, reason: hold.reason)
    }

    static func syncReport(_ outcomes: [TagSyncOutcome]) -> S.SyncReport {
        S.SyncReport(
            tags: outcomes.map { outcome in
                var item = S.SyncOutcome(image: outcome.image, repository: outcome.repository, tag: outcome.tag, result: .unchanged)
                switch outcome.result {
                case .unchanged(let digest):
                    item.digest = digest.description
                case .moved(let to, let from, let approved, let flags):
                    item.result = .moved
                    item.digest = to.description
                    item.previousDigest = from?.description
                    item.approved = approved
                    item.flags = flags.isEmpty ? nil : flags
                case .failed(let reason):
                    item.result = .failed
                    item.error = reason
                }
                return item
            },
            failed: outcomes.filter(\.failed).count)
    }

    static func auditEvent(_ event: AuditEvent) -> S.AuditEvent {
        func json(_ text: String?) -> OpenAPIValueContainer? {
            text.flatMap { try? JSONDecoder().decode(OpenAPIValueContainer.self, from: Data($0.utf8)) }
        }
        return S.AuditEvent(
            id: Int(event.id ?? 0), at: event.at, actor: event.actor, action: event.action, subject: event.subject, image: event.image,
            reason: event.reason, before: json(event.before), after: json(event.after), detail: json(event.detail), hash: event.hash ?? "",
            prevHash: event.previousHash ?? "")
    }

    static func changelogItem(_ item: ChangelogItem) -> S.ChangelogItem {
        S.ChangelogItem(
            at: item.at, action: item.action, actor: item.actor, tag: item.tag, digest: item.digest?.description, reason: item.reason,
            flags: item.flags.isEmpty ? nil : item.flags, eventId: item.eventID.map { Int($0) }, summary: item.summary,
            signature: item.signature.map(signature))
    }

    static func matrix(_ m: SupportMatrix) -> S.Matrix {
        S.Matrix(
            workloads: m.rows.map { row in
                .init(
                    workload: row.workload,
                    images: row.images.map {
                        .init(
                            image: $0.image, title: $0.title, status: .init(rawValue: $0.status.rawValue)!, support: .init(rawValue: $0.support.rawValue)!,
                            notes: $0.notes, grade: $0.grade.map(grade))
                    }, total: row.total, nextCursor: row.nextCursor)
            })
    }
}

/// Dates in API answers: RFC 3339 in UTC, formatted without locks (see `RFC3339.format`).
struct APIDateTranscoder: DateTranscoder {
    func encode(_ date: Date) throws -> String { RFC3339.format(date) }
    func decode(_ text: String) throws -> Date { try RFC3339.Transcoder().decode(text) }
}

/// The API's JSON for the CLI's `--json`: the same objects the server returns.
public enum APIJSON {
    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(RFC3339.format(date))
        }
        return encoder
    }

    public static func digest(_ answer: DigestAnswer) throws -> Data { try encoder.encode(Representation.digest(answer)) }
    /// A value of the API's types as the CLI prints it (a server's answer, decoded, prints
    /// exactly as the same answer made locally).
    package static func encode(_ value: some Encodable) throws -> Data { try encoder.encode(value) }
    /// Reads the API's JSON (a server's answer) into its types.
    package static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            try RFC3339.Transcoder().decode(try decoder.singleValueContainer().decode(String.self))
        }
        return try decoder.decode(type, from: data)
    }
    public static func history(_ view: ImageView, _ tags: [TagHistory]) throws -> Data { try encoder.encode(Representation.history(view, tags)) }
    public static func image(_ view: ImageView) throws -> Data { try encoder.encode(Representation.image(view)) }
    public static func changelog(_ name: String, _ items: [ChangelogItem]) throws -> Data {
        try encoder.encode(Components.Schemas.Changelog(image: name, items: items.map(Representation.changelogItem)))
    }
    public static func syncReport(_ outcomes: [TagSyncOutcome]) throws -> Data { try encoder.encode(Representation.syncReport(outcomes)) }
    public static func diff(_ diff: DigestDiff) throws -> Data { try encoder.encode(Representation.diff(diff)) }
    /// The advisories of a digest, as `GET /v1/digests/{digest}/advisories` gives them.
    public static func advisories(_ digest: Digest, _ report: AdvisoryReport) throws -> Data {
        try encoder.encode(
            Components.Schemas.AdvisoryList(
                digest: digest.description, ecosystems: report.ecosystems, items: report.findings.map(Representation.finding), note: report.note))
    }
    /// A judgment as `POST /v1/check` gives it, so that the CLI prints the same fields.
    public static func judgment(_ judgment: Judgment) throws -> Data { try encoder.encode(Representation.checkResult(judgment)) }
    /// A digest's surface, as `GET /v1/digests/{digest}/surface` gives it.
    public static func surface(_ surface: DigestSurface) throws -> Data { try encoder.encode(try Representation.surface(surface)) }

    /// Built images on a base, as `GET /v1/digests/{digest}/dependents` gives them.
    public static func dependents(_ digest: Digest, _ images: [BuiltImage]) throws -> Data {
        try encoder.encode(Components.Schemas.Dependents(digest: digest.description, dependents: images.map(Representation.builtImage)))
    }
}
