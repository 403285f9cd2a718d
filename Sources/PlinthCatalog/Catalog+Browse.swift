import Foundation
import PlinthCore
import PlinthStore

/// Filters of the image list; nil means any.
public struct ImageFilter: Sendable, Equatable {
    /// Entries that list the workload at any level but `unsupported`.
    public var workload: String?
    public var platform: Platform?
    /// An OS family (`debian`) or family and version (`debian:12`).
    public var os: String?
    public var status: CatalogEntry.Status?
    /// Case-insensitive text in name, title, repository, tags, owner or rationale.
    public var query: String?
    /// Entries whose first tag's current digest grades at least this (A is best); entries
    /// with no graded digest are left out.
    public var minimumGrade: HealthGrade?

    public init(
        workload: String? = nil, platform: Platform? = nil, os: String? = nil, status: CatalogEntry.Status? = nil, query: String? = nil,
        minimumGrade: HealthGrade? = nil
    ) {
        self.workload = workload
        self.platform = platform
        self.os = os
        self.status = status
        self.query = query
        self.minimumGrade = minimumGrade
    }

    func matches(_ view: ImageView) -> Bool {
        guard let minimumGrade else { return true }
        return view.current.first?.grade.map { $0 <= minimumGrade } ?? false
    }

    func matches(_ entry: CatalogEntry) -> Bool {
        if let workload, (entry.support(for: workload).map { $0.support == .unsupported } ?? true) { return false }
        if let platform, !entry.offers(platform) { return false }
        if let os, os != entry.os.family, os != "\(entry.os.family):\(entry.os.version)" { return false }
        if let status, status != entry.status { return false }
        if let query, !query.isEmpty {
            let haystack = ([entry.name, entry.title, entry.repository, entry.owner, entry.rationale] + entry.tags).joined(separator: "\n")
            if haystack.range(of: query, options: [.caseInsensitive, .diacriticInsensitive]) == nil { return false }
        }
        return true
    }
}

/// A page of a list, and the cursor of the next one.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var nextCursor: String?
}

/// A tag's current approved digest.
public struct CurrentDigest: Sendable, Hashable {
    public var tag: String
    public var digest: Digest?
    public var since: Date?
    /// The current digest's health grade.
    public var grade: HealthGrade?
}

/// An entry with what Plinth has seen of its tags.
public struct ImageView: Sendable, Hashable {
    public var stored: StoredEntry
    public var current: [CurrentDigest]
    public var entry: CatalogEntry { stored.entry }
}

/// One run of a tag at a digest, with that digest's verdict under the tag.
public struct HistoryItem: Sendable, Hashable {
    public var observation: TagObservation
    public var verdict: TagVerdict?
}

public struct TagHistory: Sendable, Hashable {
    public var tag: String
    public var currentDigest: Digest?
    public var items: [HistoryItem]
    /// The last sync attempt, if sync ever ran for this tag.
    public var sync: SyncState?
    /// A curator's hold of the tag at an earlier digest, while it stands.
    public var hold: Hold?
}

/// A digest seen on a tag and waiting for a decision.
public struct PendingDigest: Sendable, Hashable {
    public var image: String
    public var tag: String
    public var observation: TagObservation
    /// The tag's current approved digest, which approving this one would replace.
    public var replaces: Digest?
}

/// Workloads x images, for teams picking a base.
public struct SupportMatrix: Sendable {
    public struct Cell: Sendable, Hashable {
        public var image: String
        public var title: String
        public var status: CatalogEntry.Status
        public var support: CatalogEntry.Support
        public var notes: String?
        /// The health of the entry's first tag's current digest.
        public var grade: HealthGrade?
    }

    public struct Row: Sendable, Hashable {
        public var workload: String
        /// Most recommended first; retired entries left out.
        public var images: [Cell]
        /// How many images the row has, when `images` keeps only the first few.
        public var total: Int
        /// Where the row's next page starts, when `images` is a page of it.
        public var nextCursor: String? = nil
    }

    public var rows: [Row]
}

public enum CatalogError: Error, Equatable, CustomStringConvertible {
    case imageNotFound(String)
    case invalidCursor
    case invalidMatrixCursor
    case digestNotFound(Digest)
    case platformNotFound(String)
    case noPackages(Digest)
    case noExceptions(String)

    public var description: String {
        switch self {
        case .imageNotFound(let name): "no image named '\(name)' in the catalog"
        case .invalidCursor: "the cursor must be an entry name, as next_cursor gives it"
        case .invalidMatrixCursor: "the cursor must be a row's next_cursor: a support level and an entry name, supported/debian-bookworm-slim"
        case .digestNotFound(let digest): "Plinth has never seen \(digest)"
        case .platformNotFound(let platform): "the image has no \(platform) manifest"
        case .noExceptions(let name): "'\(name)' has no advisory exceptions in force: a VEX document needs at least one statement"
        case .noPackages(let digest): "no packages have been read from \(digest)'s layers yet: the next sync reads them"
        }
    }
}

extension Catalog {
    public static let defaultPageSize = 50
    public static let maxPageSize = 200

    /// Entries matching the filter, by name, a page at a time. Only the page's entries are
    /// read beyond their documents (a grade filter reads entries until the page is full).
    public func images(_ filter: ImageFilter, limit: Int = defaultPageSize, cursor: String? = nil) async throws -> Page<ImageView> {
        let after = try cursor.map(Self.decodeCursor)
        let matching = try await entries().filter { filter.matches($0.entry) && (after == nil || $0.entry.name > after!) }
        var views: [ImageView] = []
        guard filter.minimumGrade != nil else {
            views = try await self.views(Array(matching.prefix(limit)))
            return Page(items: views, nextCursor: matching.count > limit ? views.last.map { Self.encodeCursor($0.entry.name) } : nil)
        }
        for start in stride(from: 0, to: matching.count, by: limit) {
            for view in try await self.views(Array(matching[start..<min(start + limit, matching.count)])) where filter.matches(view) {
                if views.count == limit { return Page(items: views, nextCursor: views.last.map { Self.encodeCursor($0.entry.name) }) }
                views.append(view)
            }
        }
        return Page(items: views, nextCursor: nil)
    }

    /// How many entries match the filter's document fields (a grade filter is not counted).
    public func count(_ filter: ImageFilter) async throws -> Int {
        try await entries().count { filter.matches($0.entry) }
    }

    public func image(named name: String) async throws -> ImageView {
        guard let stored = try await store.entry(named: name) else { throw CatalogError.imageNotFound(name) }
        return try await view(stored)
    }

    func view(_ stored: StoredEntry) async throws -> ImageView {
        try await view(stored, history: try await history(of: stored.entry))
    }

    /// The views of several entries: those kept since a change last touched them, and the
    /// others from one read of their records. After a curator holds one entry's tag, a
    /// list of a hundred entries judges that one again and reuses the other ninety-nine.
    func views(_ stored: [StoredEntry]) async throws -> [ImageView] {
        let generation = try await currentGeneration()
        let moment = now()
        var kept: [String: ImageView] = [:]
        for entry in stored {
            if let view = cache.views.value(for: entry.entry.name, generation: generation, now: moment), view.stored.revision == entry.revision {
                kept[entry.entry.name] = view
            }
        }
        let missing = stored.filter { kept[$0.entry.name] == nil }
        if !missing.isEmpty {
            // One computation per set of missing views and generation: the requests for the same
            // page after a change wait for the first instead of each judging the same entries.
            let key = VerdictCache.ViewsKey(entries: missing.map { "\($0.entry.name)@\($0.revision)" }, generation: generation)
            let (task, started) = cache.computingViews.withLock { running -> (Task<[String: ImageView], any Error>, Bool) in
                if let task = running[key] { return (task, false) }
                let task = Task { try await self.computeViews(missing, generation: generation) }
                running[key] = task
                return (task, true)
            }
            defer { if started { _ = cache.computingViews.withLock { $0.removeValue(forKey: key) } } }
            kept.merge(try await task.value) { kept, _ in kept }
        }
        return stored.compactMap { kept[$0.entry.name] }
    }

    /// Views made from one read of the entries' records, each kept with what it was made from.
    func computeViews(_ stored: [StoredEntry], generation: UInt64) async throws -> [String: ImageView] {
        // Views need each tag's current digest only: its runs collapsed to a row per digest.
        let histories = try await histories(of: stored.map(\.entry), collapsingRuns: true)
        var views: [String: ImageView] = [:]
        for entry in stored {
            var validUntil = Date.distantFuture
            // Made from the entry's own records and the answers of its current digests.
            var dependencies = VerdictCache.Dependencies(entries: [entry.entry.name])
            let view = try await view(entry, history: histories[entry.entry.name] ?? [], validUntil: &validUntil, dependencies: &dependencies)
            cache.views.store(view, for: entry.entry.name, generation: generation, validUntil: validUntil, dependencies: dependencies)
            views[entry.entry.name] = view
        }
        return views
    }

    func view(_ stored: StoredEntry, history: [TagHistory]) async throws -> ImageView {
        var validUntil = Date.distantFuture
        var dependencies = VerdictCache.Dependencies()
        return try await view(stored, history: history, validUntil: &validUntil, dependencies: &dependencies)
    }

    /// An entry's view; `validUntil` becomes the earliest moment a grade or verdict in it may
    /// change by the clock, and `dependencies` gains what its current digests' answers were made from.
    func view(
        _ stored: StoredEntry, history: [TagHistory], validUntil: inout Date, dependencies: inout VerdictCache.Dependencies
    ) async throws -> ImageView {
        var current: [CurrentDigest] = []
        for tag in history {
            var grade: HealthGrade?
            if let digest = tag.currentDigest {
                let answer = try await lookup(digest)
                grade = answer.health?.grade
                validUntil = min(validUntil, VerdictCache.validUntil(of: answer))
                dependencies.formUnion(VerdictCache.dependencies(of: answer))
            }
            current.append(
                CurrentDigest(
                    tag: tag.tag, digest: tag.currentDigest, since: tag.items.first { $0.observation.digest == tag.currentDigest }?.verdict?.approval?.at,
                    grade: grade))
        }
        return ImageView(stored: stored, current: current)
    }

    /// Every tracked tag's runs of digests, oldest first, each with its verdict.
    public func history(named name: String) async throws -> (ImageView, [TagHistory]) {
        guard let stored = try await store.entry(named: name) else { throw CatalogError.imageNotFound(name) }
        let history = try await history(of: stored.entry)
        return (try await view(stored, history: history), history)
    }

    func history(of entry: CatalogEntry) async throws -> [TagHistory] {
        try await histories(of: [entry])[entry.name] ?? []
    }

    /// The tag histories of several entries, from one read of their records; with
    /// `collapsingRuns`, a history item per digest a tag pointed at instead of one per run
    /// (the current digests are the same).
    func histories(of entries: [CatalogEntry], collapsingRuns: Bool = false) async throws -> [String: [TagHistory]] {
        let records = try await store.records(of: entries.map(\.name), collapsingRuns: collapsingRuns)
        let moment = now()
        let revocations = try await revocationsInForce(now: moment)
        var result: [String: [TagHistory]] = [:]
        for entry in entries {
            let record = records[entry.name] ?? EntryRecords()
            let byTag = Dictionary(grouping: record.runs, by: \.tag)
            result[entry.name] = entry.tags.map { tag in
                let runs = byTag[tag] ?? []
                let lineage = TagLineage(
                    image: entry.name, repository: entry.repository, tag: tag, graceDays: entry.approval.graceDays,
                    digests: Dictionary(grouping: runs, by: \.digest).map { digest, runs in
                        TagDigest(
                            digest: digest, firstSeen: runs.map(\.firstSeen).min()!, lastSeen: runs.map(\.lastSeen).max()!,
                            approval: record.approvals[digest])
                    }, hold: record.holds[tag])
                let items = runs.map { run in
                    HistoryItem(
                        observation: run,
                        verdict: VerdictRules.evaluate(run.digest, lineages: [lineage], revocations: revocations, now: moment).standings.first)
                }
                let current = items.compactMap(\.verdict).first?.currentDigest
                return TagHistory(tag: tag, currentDigest: current, items: items, sync: record.syncStates.first { $0.tag == tag }, hold: record.holds[tag])
            }
        }
        return result
    }

    /// Workloads by images. With `cellsPerWorkload`, each row keeps its most recommended
    /// images (its `total` still counts all), and only the cells kept are graded.
    public func matrix(cellsPerWorkload: Int? = nil) async throws -> SupportMatrix {
        guard let cellsPerWorkload else { return try await computeMatrix(cellsPerWorkload: nil).matrix }
        let generation = try await currentGeneration()
        if let kept = cache.pageMatrix.value(for: cellsPerWorkload, generation: generation, now: now()) { return kept }
        let (matrix, validUntil, dependencies) = try await computeMatrix(cellsPerWorkload: cellsPerWorkload)
        cache.pageMatrix.store(matrix, for: cellsPerWorkload, generation: generation, validUntil: validUntil, dependencies: dependencies)
        return matrix
    }

    /// A page of the matrix: every workload's row (or only `workload`'s) with at most `limit`
    /// cells each, most recommended first; with `cursor` (a row's `nextCursor`), each row's
    /// cells after the position it names (with `workload`, that row's next page). Only the
    /// cells shown are graded.
    public func matrix(workload: String?, limit: Int, cursor: String?) async throws -> SupportMatrix {
        let after = try cursor.map(Self.decodeMatrixCursor)
        let generation = try await currentGeneration()
        let all = try await cache.matrixRows.value(generation: generation, dependencies: .documents) {
            try await matrixRows(of: try await entries())
        }
        var rows = all.filter { workload == nil || $0.workload == workload }
        for r in rows.indices {
            var cells = rows[r].images[...]
            if let after { cells = cells.drop { ($0.support, $0.image) <= (after.support, after.image) } }
            let page = cells.prefix(limit)
            rows[r].images = Array(page)
            rows[r].nextCursor = cells.count > page.count ? page.last.map(Self.encodeMatrixCursor) : nil
        }
        let shown = Set(rows.flatMap { $0.images.map(\.image) })
        let grades = try await firstTagGrades(of: try await entries().filter { shown.contains($0.entry.name) })
        for r in rows.indices {
            for c in rows[r].images.indices { rows[r].images[c].grade = grades[rows[r].images[c].image] }
        }
        return SupportMatrix(rows: rows)
    }

    /// Every workload's row, ungraded: made from the entries' documents alone.
    func matrixRows(of stored: [StoredEntry]) -> [SupportMatrix.Row] {
        let all = stored.map(\.entry).filter { $0.status != .retired }
        var cells: [String: [SupportMatrix.Cell]] = [:]
        for entry in all {
            for support in entry.workloads {
                cells[support.workload, default: []].append(
                    .init(image: entry.name, title: entry.title, status: entry.status, support: support.support, notes: support.notes, grade: nil))
            }
        }
        return cells.keys.sorted().map { workload in
            let row = cells[workload]!.sorted { ($0.support, $0.image) < ($1.support, $1.image) }
            return .init(workload: workload, images: row, total: row.count)
        }
    }

    /// The grade of each entry's first tag's current digest, from the entries' views.
    func firstTagGrades(of stored: [StoredEntry]) async throws -> [String: HealthGrade] {
        var grades: [String: HealthGrade] = [:]
        for view in try await views(stored) {
            guard let tag = view.entry.tags.first, let grade = view.current.first(where: { $0.tag == tag })?.grade else { continue }
            grades[view.entry.name] = grade
        }
        return grades
    }

    /// The matrix, until when its grades hold by the clock, and what it was made from: the
    /// entries' documents, and the views of the entries it grades (each kept on its own, so
    /// that after a change only the entries it touched are judged again).
    func computeMatrix(cellsPerWorkload: Int?) async throws -> (matrix: SupportMatrix, validUntil: Date, dependencies: VerdictCache.Dependencies) {
        var validUntil = Date.distantFuture
        let stored = try await entries()
        var rows = matrixRows(of: stored)
        if let cellsPerWorkload {
            for r in rows.indices { rows[r].images = Array(rows[r].images.prefix(cellsPerWorkload)) }
        }
        let shown = Set(rows.flatMap { $0.images.map(\.image) })
        // Each graded entry's first tag's current digest, from its view.
        var dependencies = VerdictCache.Dependencies(entries: shown)
        var grades: [String: HealthGrade] = [:]
        for view in try await views(stored.filter { shown.contains($0.entry.name) }) {
            guard let tag = view.entry.tags.first, let digest = view.current.first(where: { $0.tag == tag })?.digest else { continue }
            let answer = try await lookup(digest)
            grades[view.entry.name] = answer.health?.grade
            validUntil = min(validUntil, VerdictCache.validUntil(of: answer))
            dependencies.formUnion(VerdictCache.dependencies(of: answer))
        }
        for r in rows.indices {
            for c in rows[r].images.indices { rows[r].images[c].grade = grades[rows[r].images[c].image] }
        }
        return (SupportMatrix(rows: rows), validUntil, dependencies)
    }

    /// A matrix cursor names the last cell of a row's page: its support level and image,
    /// `supported/debian-bookworm-slim`; the next page starts after that position.
    static func encodeMatrixCursor(_ cell: SupportMatrix.Cell) -> String { "\(cell.support.rawValue)/\(cell.image)" }

    public static func decodeMatrixCursor(_ cursor: String) throws -> (support: CatalogEntry.Support, image: String) {
        let parts = cursor.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2, let support = CatalogEntry.Support(rawValue: parts[0]), CatalogEntry.isValidName(parts[1]) else {
            throw CatalogError.invalidMatrixCursor
        }
        return (support, parts[1])
    }

    /// Digests waiting for a curator's decision, by entry and tag: each tag run whose
    /// verdict is `pending`, with the tag's current digest it would replace. Kept until the
    /// store changes (the review page asks on every view).
    public func reviewQueue() async throws -> [PendingDigest] {
        try await cache.reviewQueue.value(generation: try await currentGeneration(), dependencies: .init(everyEntry: true, everyDigest: true)) {
            var queue: [PendingDigest] = []
            let candidates = Set(try await store.entriesWithUnapprovedRuns())
            let waiting = try await entries().map(\.entry).filter { candidates.contains($0.name) }
            let histories = try await histories(of: waiting)
            for entry in waiting {
                for tag in histories[entry.name] ?? [] {
                    for item in tag.items where item.verdict?.verdict == .pending {
                        queue.append(PendingDigest(image: entry.name, tag: tag.tag, observation: item.observation, replaces: tag.currentDigest))
                    }
                }
            }
            return queue
        }
    }

    /// A cursor is the name of the last entry of the previous page: the next page starts
    /// after it, so any entry name is a valid position, even one since removed.
    static func encodeCursor(_ name: String) -> String { name }

    static func decodeCursor(_ cursor: String) throws -> String {
        guard CatalogEntry.isValidName(cursor) else { throw CatalogError.invalidCursor }
        return cursor
    }
}
