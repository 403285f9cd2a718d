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

    public init(workload: String? = nil, platform: Platform? = nil, os: String? = nil, status: CatalogEntry.Status? = nil, query: String? = nil) {
        self.workload = workload
        self.platform = platform
        self.os = os
        self.status = status
        self.query = query
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

    /// Entries matching the filter, by name, a page at a time.
    public func images(_ filter: ImageFilter, limit: Int = defaultPageSize, cursor: String? = nil) async throws -> Page<ImageView> {
        let after = try cursor.map(Self.decodeCursor)
        let matching = try await store.entries().filter { filter.matches($0.entry) && (after == nil || $0.entry.name > after!) }
        let page = Array(matching.prefix(limit))
        var views: [ImageView] = []
        for stored in page { views.append(try await view(stored)) }
        let next = matching.count > limit ? page.last.map { Self.encodeCursor($0.entry.name) } : nil
        return Page(items: views, nextCursor: next)
    }

    public func image(named name: String) async throws -> ImageView {
        guard let stored = try await store.entry(named: name) else { throw CatalogError.imageNotFound(name) }
        return try await view(stored)
    }

    func view(_ stored: StoredEntry) async throws -> ImageView {
        let history = try await history(of: stored.entry)
        var current: [CurrentDigest] = []
        for tag in history {
            var grade: HealthGrade?
            if let digest = tag.currentDigest { grade = try await lookup(digest).health?.grade }
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
        return (try await view(stored), history)
    }

    func history(of entry: CatalogEntry) async throws -> [TagHistory] {
        let observations = try await store.history(of: entry.name)
        let approvals = try await store.approvals(of: entry.name)
        let moment = now()
        let revocations = try await revocationsInForce(now: moment)
        let states = try await store.syncStates(of: entry.name)
        let holds = try await store.holds(of: entry.name)
        return entry.tags.map { tag in
            let runs = observations.filter { $0.tag == tag }
            let lineage = TagLineage(
                image: entry.name, repository: entry.repository, tag: tag, graceDays: entry.approval.graceDays,
                digests: Dictionary(grouping: runs, by: \.digest).map { digest, runs in
                    TagDigest(
                        digest: digest, firstSeen: runs.map(\.firstSeen).min()!, lastSeen: runs.map(\.lastSeen).max()!,
                        approval: approvals[digest])
                }, hold: holds[tag])
            let items = runs.map { run in
                HistoryItem(
                    observation: run,
                    verdict: VerdictRules.evaluate(run.digest, lineages: [lineage], revocations: revocations, now: moment).standings.first)
            }
            let current = items.compactMap(\.verdict).first?.currentDigest
            return TagHistory(tag: tag, currentDigest: current, items: items, sync: states.first { $0.tag == tag }, hold: holds[tag])
        }
    }

    public func matrix() async throws -> SupportMatrix {
        let entries = try await store.entries().map(\.entry).filter { $0.status != .retired }
        let workloads = Set(entries.flatMap { $0.workloads.map(\.workload) }).sorted()
        var grades: [String: HealthGrade] = [:]
        for entry in entries {
            if let tag = entry.tags.first, let digest = try await history(of: entry).first(where: { $0.tag == tag })?.currentDigest {
                grades[entry.name] = try await lookup(digest).health?.grade
            }
        }
        return SupportMatrix(
            rows: workloads.map { workload in
                let cells = entries.compactMap { entry -> SupportMatrix.Cell? in
                    guard let support = entry.support(for: workload) else { return nil }
                    return .init(
                        image: entry.name, title: entry.title, status: entry.status, support: support.support, notes: support.notes, grade: grades[entry.name])
                }
                return .init(workload: workload, images: cells.sorted { ($0.support, $0.image) < ($1.support, $1.image) })
            })
    }

    /// A cursor is the name of the last entry of the previous page: the next page starts
    /// after it, so any entry name is a valid position, even one since removed.
    static func encodeCursor(_ name: String) -> String { name }

    static func decodeCursor(_ cursor: String) throws -> String {
        guard CatalogEntry.isValidName(cursor) else { throw CatalogError.invalidCursor }
        return cursor
    }
}
