import Foundation
import HTTPTypes
import Hummingbird
import PlinthCatalog
import PlinthCore

/// The pages for people: catalog, matrix, image, digest and changes (with an Atom feed),
/// server-rendered from embedded Mustache templates with view models of their own.
struct PageController: Sendable {
    let catalog: Catalog
    let renderer: PageRenderer

    func register<Context: RequestContext>(on group: RouterGroup<Context>) {
        group.get("/") { request, _ in try await self.catalogPage(request) }
        group.get("/matrix") { _, _ in try await self.matrixPage() }
        group.get("/images/{name}") { _, context in try await self.imagePage(context.parameters.require("name")) }
        group.get("/digests/{digest}") { _, context in try await self.digestPage(context.parameters.require("digest")) }
        group.get("/changes") { request, _ in try await self.changesPage(request) }
        group.get("/changes.atom") { _, _ in try await self.changesFeed() }
        group.get("/static/{file}") { _, context in try self.asset(context.parameters.require("file")) }
        group.get("/favicon.ico") { _, _ in try self.asset("favicon.svg") }
    }

    // MARK: View models (the pages' own, not the API's types)

    struct Option { var value: String; var selected: Bool }

    struct CatalogRow {
        var name, title, repository, status, os, platforms, lastChange: String
        var grade: String?
        var age: String?
    }

    static func day(_ date: Date) -> String { String(RFC3339.format(date).prefix(10)) }

    static func age(since date: Date, now: Date) -> String {
        let days = Int(now.timeIntervalSince(date) / 86_400)
        return days <= 0 ? "today" : days == 1 ? "1 day old" : "\(days) days old"
    }

    static func options(_ values: [String], selected: String?) -> [Option] {
        values.map { Option(value: $0, selected: $0 == selected) }
    }

    static let imagesPerPage = 50

    func catalogPage(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        func value(_ name: String) -> String? { query.get(name).flatMap { $0.isEmpty ? nil : String($0.prefix(200)) } }
        var filter = ImageFilter(workload: value("workload"), os: value("os"), query: value("q"))
        if let text = value("platform") {
            do { filter.platform = try Platform(parsing: text) } catch { throw HTTPError(.badRequest, message: "platform: \(error)") }
        }
        if let text = value("status") {
            guard let status = CatalogEntry.Status(rawValue: text) else { throw HTTPError(.badRequest, message: "status '\(text)' is not a status") }
            filter.status = status
        }
        if let text = value("grade") {
            guard let grade = HealthGrade(rawValue: text) else { throw HTTPError(.badRequest, message: "grade '\(text)' is not A to F") }
            filter.minimumGrade = grade
        }
        let after = value("after")
        if let after, !CatalogEntry.isValidName(after) { throw HTTPError(.badRequest, message: CatalogError.invalidCursor.description) }
        let page = try await catalog.images(filter, limit: Self.imagesPerPage, cursor: after)
        let now = catalog.now()
        let rows = page.items.map { view -> CatalogRow in
            let entry = view.entry
            let since = view.current.compactMap(\.since).max()
            return CatalogRow(
                name: entry.name, title: entry.title, repository: entry.repository, status: entry.status.rawValue,
                os: "\(entry.os.family) \(entry.os.version)", platforms: entry.platforms.map(\.description).joined(separator: ", "),
                lastChange: Self.day(max(since ?? .distantPast, view.stored.updatedAt)), grade: view.current.first?.grade?.rawValue,
                age: since.map { Self.age(since: $0, now: now) })
        }
        // A grade is known only once an entry's view is read, so a grade filter's total is not counted.
        let total = filter.minimumGrade == nil ? try await catalog.count(filter) : nil
        let facets = try await catalog.facets()
        var next: String?
        if let cursor = page.nextCursor {
            var items = ["workload", "platform", "os", "status", "grade", "q"].compactMap { name in value(name).map { URLQueryItem(name: name, value: $0) } }
            items.append(URLQueryItem(name: "after", value: cursor))
            var components = URLComponents()
            components.queryItems = items
            next = "/" + (components.percentEncodedQuery.map { "?" + $0.replacingOccurrences(of: "+", with: "%2B") } ?? "")
        }
        let view: [String: Any?] = [
            "query": value("q") ?? "",
            "workloads": Self.options(facets.workloads, selected: value("workload")),
            "platforms": Self.options(facets.platforms, selected: value("platform")),
            "families": Self.options(facets.families, selected: value("os")),
            "statuses": Self.options(CatalogEntry.Status.allCases.map(\.rawValue), selected: value("status")),
            "grades": Self.options(HealthGrade.allCases.map(\.rawValue), selected: value("grade")),
            "images": rows, "hasImages": !rows.isEmpty,
            "count": total.map { "\($0) \($0 == 1 ? "image" : "images")" } ?? "\(rows.count)\(next == nil ? "" : "+") with this grade or better",
            "range": after == nil && next == nil ? nil : rows.first.map { "showing \($0.name) to \(rows.last!.name)" },
            "next": next,
        ]
        return renderer.page("catalog", PageRenderer.compact(view))
    }

    struct MatrixCellView { var image, title, support: String; var grade, notes: String?; var recommended: Bool }
    struct MatrixRowView { var workload: String; var cells: [MatrixCellView]; var more: String? }

    /// A row shows its most recommended images; the catalog filtered by the workload lists all.
    static let matrixCellsPerWorkload = 24

    func matrixPage() async throws -> Response {
        let matrix = try await catalog.matrix(cellsPerWorkload: Self.matrixCellsPerWorkload)
        let rows = matrix.rows.map { row in
            MatrixRowView(
                workload: row.workload,
                cells: row.images.map {
                    MatrixCellView(
                        image: $0.image, title: $0.title, support: $0.support.rawValue, grade: $0.grade?.rawValue, notes: $0.notes,
                        recommended: $0.support == .recommended)
                }, more: row.total > row.images.count ? "and \(row.total - row.images.count) more" : nil)
        }
        return renderer.page("matrix", ["rows": rows])
    }

    struct HistoryView { var at, digest, short, verdict: String; var by: String? }
    struct TagView { var tag: String; var digest, from, grade, nextDrop, hold: String?; var history: [HistoryView] }
    struct ChangeView {
        var at, action, actor: String
        var image: String?
        var tag, digest, short, reason, summary, signature: String?
        var flags: [String]
        var id: String
    }
    struct AdvisoryView { var id, severity, package, installed, fixed, exception: String }

    static func short(_ digest: Digest) -> String { String(digest.description.prefix(19)) }

    static func change(_ item: ChangelogItem, image: String?) -> ChangeView {
        ChangeView(
            at: RFC3339.format(item.at), action: item.action, actor: item.actor, image: image, tag: item.tag, digest: item.digest?.description,
            short: item.digest.map(short), reason: item.reason, summary: item.summary,
            signature: item.signature.map { ($0.verified ? "signature verified: " : "signature not verified: ") + $0.reason }, flags: item.flags,
            id: "\(image ?? "-")-\(item.eventID.map(String.init) ?? "seen")-\(Int(item.at.timeIntervalSince1970))-\(item.tag ?? "")-\(item.digest?.description.suffix(12) ?? "")")
    }

    func imagePage(_ name: String) async throws -> Response {
        guard CatalogEntry.isValidName(name) else { throw CatalogError.imageNotFound(name) }
        let (view, history) = try await catalog.history(named: name)
        let entry = view.entry
        let reference = entry.repository.hasPrefix("docker.io/library/") ? String(entry.repository.dropFirst("docker.io/library/".count)) : entry.repository
        var tags: [TagView] = []
        for tag in history {
            var grade: String?, nextDrop: String?
            if let digest = tag.currentDigest, let health = try await catalog.lookup(digest).health {
                grade = health.grade?.rawValue
                nextDrop = health.nextDrop.map(Self.day)
            }
            tags.append(
                TagView(
                    tag: tag.tag, digest: tag.currentDigest?.description, from: tag.currentDigest.map { "FROM \(reference):\(tag.tag)@\($0)" },
                    grade: grade, nextDrop: nextDrop, hold: tag.hold?.digest.description,
                    history: tag.items.reversed().map {
                        HistoryView(
                            at: RFC3339.format($0.observation.firstSeen), digest: $0.observation.digest.description, short: Self.short($0.observation.digest),
                            verdict: $0.verdict?.verdict.rawValue ?? "unknown", by: $0.verdict?.approval?.by)
                    }))
        }
        var advisories: [AdvisoryView] = []
        var note = "No advisories match the current digest."
        if let digest = history.first?.currentDigest {
            let report = try await catalog.advisories(of: digest)
            advisories = report.findings.map {
                AdvisoryView(
                    id: $0.advisoryID, severity: $0.severity.rawValue, package: $0.package, installed: $0.installedVersion, fixed: $0.fixedVersion ?? "no fix yet",
                    exception: $0.exception.map { "\($0.reason) (until \(Self.day($0.expiresAt)))" } ?? "")
            }
            if let reportNote = report.note { note = reportNote }
        }
        var page: [String: Any?] = [
            "title": entry.title, "status": entry.status.rawValue, "repository": entry.repository, "rationale": entry.rationale,
            "tradeoffs": entry.tradeoffs, "source": entry.source, "owner": entry.owner, "os": "\(entry.os.family) \(entry.os.version)\(entry.os.codename.map { " (\($0))" } ?? "")",
            "eol": entry.os.eol.map(\.description), "platforms": entry.platforms.map(\.description).joined(separator: ", "),
            "successor": entry.successor, "approval": "\(entry.approval.policy.rawValue), \(entry.approval.graceDays) days' grace",
            "tags": tags, "changes": try await catalog.changelog(named: name).reversed().map { Self.change($0, image: nil) },
            "advisories": advisories, "hasAdvisories": !advisories.isEmpty, "advisoryNote": note,
            "rules": Self.rulesText(entry.surface), "review": entry.review.map { "every \($0.everyDays) days" },
        ]
        var surfaces: [SurfaceView] = []
        var packages: [PackageSetView] = []
        if let digest = history.first?.currentDigest {
            surfaces = try await surfaceViews(of: digest)
            packages = try await packageViews(of: digest)
        }
        page["surfaces"] = surfaces
        page["hasSurfaces"] = !surfaces.isEmpty
        page["packageSets"] = packages
        page["hasPackages"] = !packages.isEmpty
        page["hasCurrent"] = history.first?.currentDigest != nil
        return renderer.page("image", PageRenderer.compact(page))
    }

    struct PackageSetView {
        var platform, manifest: String
        var count: Int
        var packages: [PackageView]
        struct PackageView { var name, version, source, arch: String }
    }

    /// The packages read from each platform manifest of a digest (the index's platforms, or
    /// the manifest itself), as `GET /v1/digests/{digest}/packages` lists them.
    func packageViews(of digest: Digest) async throws -> [PackageSetView] {
        let answer = try await catalog.lookup(digest)
        let targets: [(Digest, Platform?)] = [(answer.digest, answer.platform)] + answer.platforms.map { ($0.digest, $0.platform) }
        var sets: [PackageSetView] = []
        for (manifest, platform) in targets {
            let packages = try await catalog.store.packages(of: manifest)
            guard !packages.isEmpty else { continue }
            sets.append(
                PackageSetView(
                    platform: platform?.description ?? "image", manifest: manifest.description, count: packages.count,
                    packages: packages.map {
                        PackageSetView.PackageView(
                            name: $0.name, version: $0.version,
                            source: $0.sourceRPM ?? [$0.sourceName, $0.sourceVersion].compactMap { $0 }.joined(separator: " "),
                            arch: $0.arch ?? "")
                    }))
        }
        return sets
    }

    struct SurfaceView {
        var platform, manifest: String
        /// One, or none when the layers were not read (a section, not an optional, for Mustache).
        var read: [ReadView]
        struct ReadView {
            var uncompressed, compressed: String
            var layers, files: Int
            var shells, packageManagers, privileged, worldWritable: [String]
            var user: String
            var root: Bool
            var ports, healthcheck: String
        }
    }

    /// Each platform manifest's surface, as the digest and image pages show it.
    func surfaceViews(of digest: Digest) async throws -> [SurfaceView] {
        try await catalog.surface(of: digest).platforms.map { item in
            SurfaceView(
                platform: item.platform?.description ?? "image", manifest: item.manifest.description,
                read: [item.report].compactMap { $0 }.map { r in
                    SurfaceView.ReadView(
                        uncompressed: SurfaceRules.megabytes(r.uncompressedBytes), compressed: SurfaceRules.megabytes(r.compressedBytes), layers: r.layers,
                        files: r.files, shells: r.shells, packageManagers: r.packageManagers, privileged: (r.setuid + r.setgid).sorted(),
                        worldWritable: Array(r.worldWritable.prefix(20)), user: r.user, root: r.runsAsRoot,
                        ports: r.exposedPorts.isEmpty ? "none" : r.exposedPorts.joined(separator: ", "), healthcheck: r.healthcheck ? "yes" : "no")
                })
        }
    }

    static func rulesText(_ rules: SurfaceRules?) -> String? {
        guard let rules else { return nil }
        var parts: [String] = []
        if let v = rules.shell { parts.append("shell \(v.rawValue)") }
        if let v = rules.packageManager { parts.append("package manager \(v.rawValue)") }
        if let v = rules.nonRoot { parts.append("non-root user \(v.rawValue)") }
        if let v = rules.setuid { parts.append("setuid files \(v.rawValue)") }
        if let v = rules.maxSizeMB { parts.append("at most \(v) MB uncompressed") }
        return parts.joined(separator: ", ")
    }

    struct StandingView { var image, repository, tag, verdict: String }
    struct DependentView { var reference, manifest, short, source, lastSeen: String }

    func digestPage(_ text: String) async throws -> Response {
        let digest: Digest
        do { digest = try Digest(parsing: text) } catch { throw HTTPError(.notFound, message: "'\(text.prefix(80))' is not a digest: \(error)") }
        let answer = try await catalog.lookup(digest)
        let verdict = answer.verdict
        let standings = verdict.standings.map { StandingView(image: $0.image, repository: $0.repository, tag: $0.tag, verdict: $0.verdict.rawValue) }
        // Who is built on it (lineage): what to rebuild when it is revoked or superseded.
        let dependents = verdict.verdict == .unknown ? [] : try await catalog.dependents(of: digest).map {
            DependentView(reference: $0.reference, manifest: $0.manifest.description, short: Self.short($0.manifest), source: $0.source.rawValue,
                lastSeen: Self.day($0.lastSeen))
        }
        var page: [String: Any?] = [
            "digest": digest.description, "short": Self.short(digest), "verdict": verdict.verdict.rawValue, "reason": Catalog.reason(answer),
            "current": (verdict.currentDigest.flatMap { $0 == digest || $0 == answer.index ? nil : $0.description }),
            "kind": answer.kind?.rawValue, "platform": answer.platform?.description, "index": answer.index?.description,
            "grade": answer.health?.grade?.rawValue,
            "revoked": verdict.revocation.map { "\(Self.day($0.at)) by \($0.by): \($0.reason)" },
            "signature": answer.signature.map { ($0.verified ? "Verified: " : "Not verified: ") + $0.reason },
            "standings": standings, "hasStandings": !standings.isEmpty,
            "dependents": dependents, "hasDependents": !dependents.isEmpty,
        ]
        let surfaces = verdict.verdict == .unknown ? [] : try await surfaceViews(of: digest)
        page["surfaces"] = surfaces
        page["hasSurfaces"] = !surfaces.isEmpty
        return renderer.page("digest", PageRenderer.compact(page), status: verdict.verdict == .unknown ? .notFound : .ok)
    }

    static let changesPerPage = 50

    func changesPage(_ request: Request) async throws -> Response {
        let page = request.uri.queryParameters.get("page").flatMap { Int($0) } ?? 1
        guard page >= 1 else { throw HTTPError(.badRequest, message: "page must be 1 or more") }
        let (changes, more) = try await catalog.changes(page: page, perPage: Self.changesPerPage)
        let items = changes.map { Self.change($0.item, image: $0.image) }
        return renderer.page("changes", PageRenderer.compact(["items": items, "next": more ? page + 1 : nil]))
    }

    func changesFeed() async throws -> Response {
        let items = try await catalog.changes(page: 1, perPage: Self.changesPerPage).items.map { Self.change($0.item, image: $0.image) }
        let feed: [String: Any?] = ["items": items, "updated": items.first?.at ?? RFC3339.format(catalog.now())]
        return renderer.page("changes.atom", PageRenderer.compact(feed), contentType: "application/atom+xml; charset=utf-8")
    }

    func asset(_ file: String) throws -> Response {
        guard let asset = renderer.assets[file] else { throw HTTPError(.notFound) }
        var headers = PageRenderer.headers(asset.type)
        headers[.cacheControl] = "public, max-age=3600"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(data: asset.bytes)))
    }
}
