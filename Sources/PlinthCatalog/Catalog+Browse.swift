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
    }

    public var rows: [Row]
}

public enum CatalogError: Error, Equatable, CustomStringConvertible {
    case imageNotFound(String)
    case invalidCursor
    case digestNotFound(Digest)
    case platformNotFound(String)

    public var description: String {
        switch self {
        case .imageNotFound(let name): "no image named '\(name)' in the catalog"
        case .invalidCursor: "the cursor must be an entry name, as next_cursor gives it"
        case .digestNotFound(let digest): "Plinth has never seen \(digest)"
        case .platformNotFound(let platform): "the image has no \(platform) manifest"
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

    /// The views of several entries: those kept since the store last changed, and the
    /// others from one read of their records.
    func views(_ stored: [StoredEntry]) async throws -> [ImageView] {
        let generation = await store.generation()
        let moment = now()
        var kept: [String: ImageView] = [:]
        for entry in stored where entry.revision == cache.view(of: entry.entry.name, generation: generation, now: moment)?.stored.revision {
            kept[entry.entry.name] = cache.view(of: entry.entry.name, generation: generation, now: moment)
        }
        let missing = stored.filter { kept[$0.entry.name] == nil }
        let histories = missing.isEmpty ? [:] : try await histories(of: missing.map(\.entry))
        var views: [ImageView] = []
        for entry in stored {
            if let view = kept[entry.entry.name] {
                views.append(view)
                continue
            }
            var validUntil = Date.distantFuture
            let view = try await view(entry, history: histories[entry.entry.name] ?? [], validUntil: &validUntil)
            cache.store(view, generation: generation, validUntil: validUntil)
            views.append(view)
        }
        return views
    }

    func view(_ stored: StoredEntry, history: [TagHistory]) async throws -> ImageView {
        var validUntil = Date.distantFuture
        return try await view(stored, history: history, validUntil: &validUntil)
    }

    /// An entry's view; `validUntil` becomes the earliest moment a grade or verdict in it may change by the clock.
    func view(_ stored: StoredEntry, history: [TagHistory], validUntil: inout Date) async throws -> ImageView {
        var current: [CurrentDigest] = []
        for tag in history {
            var grade: HealthGrade?
            if let digest = tag.currentDigest {
                let answer = try await lookup(digest)
                grade = answer.health?.grade
                validUntil = min(validUntil, [answer.verdict.changesAt, answer.health?.nextDrop].compactMap { $0 }.min() ?? .distantFuture)
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

    /// The tag histories of several entries, from one read of their records.
    func histories(of entries: [CatalogEntry]) async throws -> [String: [TagHistory]] {
        let records = try await store.records(of: entries.map(\.name))
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
        let generation = await store.generation()
        let moment = now()
        if let kept = cache.pageMatrix.value(generation: generation, now: moment), kept.cells == cellsPerWorkload { return kept.matrix }
        let (matrix, validUntil) = try await computeMatrix(cellsPerWorkload: cellsPerWorkload)
        cache.pageMatrix.store((cellsPerWorkload, matrix), generation: generation, validUntil: validUntil)
        return matrix
    }

    /// The matrix, and until when its grades hold by the clock.
    func computeMatrix(cellsPerWorkload: Int?) async throws -> (matrix: SupportMatrix, validUntil: Date) {
        var validUntil = Date.distantFuture
        let all = try await entries().map(\.entry).filter { $0.status != .retired }
        let workloads = Set(all.flatMap { $0.workloads.map(\.workload) }).sorted()
        var rows: [SupportMatrix.Row] = workloads.map { workload in
            let cells = all.compactMap { entry -> SupportMatrix.Cell? in
                guard let support = entry.support(for: workload) else { return nil }
                return .init(image: entry.name, title: entry.title, status: entry.status, support: support.support, notes: support.notes, grade: nil)
            }.sorted { ($0.support, $0.image) < ($1.support, $1.image) }
            return .init(workload: workload, images: cellsPerWorkload.map { Array(cells.prefix($0)) } ?? cells, total: cells.count)
        }
        let shown = Set(rows.flatMap { $0.images.map(\.image) })
        let histories = try await histories(of: all.filter { shown.contains($0.name) })
        var grades: [String: HealthGrade] = [:]
        for entry in all where shown.contains(entry.name) {
            if let tag = entry.tags.first, let digest = histories[entry.name]?.first(where: { $0.tag == tag })?.currentDigest {
                let answer = try await lookup(digest)
                grades[entry.name] = answer.health?.grade
                validUntil = min(validUntil, [answer.verdict.changesAt, answer.health?.nextDrop].compactMap { $0 }.min() ?? .distantFuture)
            }
        }
        for r in rows.indices {
            for c in rows[r].images.indices { rows[r].images[c].grade = grades[rows[r].images[c].image] }
        }
        return (SupportMatrix(rows: rows), validUntil)
    }

    /// Digests waiting for a curator's decision, by entry and tag: each tag run whose
    /// verdict is `pending`, with the tag's current digest it would replace. Kept until the
    /// store changes (the review page asks on every view).
    public func reviewQueue() async throws -> [PendingDigest] {
        try await cache.reviewQueue.value(generation: await store.generation()) {
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
