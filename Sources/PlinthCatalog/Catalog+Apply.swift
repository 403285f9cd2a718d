import Foundation
import PlinthCore
import PlinthStore

/// What `apply` did, or would do.
public struct ApplyReport: Sendable, Equatable {
    public var created: [String] = []
    public var updated: [String] = []
    public var unchanged: [String] = []
    /// In the database but in no file: reported, retired only with `prune`.
    public var missing: [String] = []
    public var retired: [String] = []
    /// Observations from snapshots that were new to the history.
    public var newObservations = 0
    public var approvalsAdded = 0

    public var changedNothing: Bool {
        created.isEmpty && updated.isEmpty && retired.isEmpty && newObservations == 0 && approvalsAdded == 0
    }
}

/// Every problem found in a catalog directory; nothing was written.
public struct ApplyError: Error, CustomStringConvertible, Sendable {
    public var problems: [EntryFileError]
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}

extension Catalog {
    /// Reconciles the database with catalog-as-code files (SPEC "Catalog as code"):
    /// validates every file first, then creates and updates entries and records snapshots
    /// in one transaction, each change audited as `apply:<file>`. Entries missing from the
    /// files are reported, and retired with `prune`. Applying the same files twice changes nothing.
    public func apply(_ source: CatalogSource, prune: Bool = false) async throws -> ApplyReport {
        var problems: [EntryFileError] = []
        var entries: [(file: String, entry: CatalogEntry)] = []
        for (path, data) in source.entryFiles {
            guard let text = String(data: data, encoding: .utf8) else {
                problems.append(EntryFileError(file: path, line: nil, field: nil, message: "file is not UTF-8 text"))
                continue
            }
            do { entries.append((path, try EntryFile.parse(text, file: path))) } catch { problems.append(error) }
        }
        var snapshotFiles: [(file: String, content: SnapshotFile)] = []
        for (path, data) in source.snapshotFiles {
            do { snapshotFiles.append((path, try SnapshotFile.parse(data, file: path))) } catch { problems.append(error) }
        }

        // Rules that span files.
        var fileOfName: [String: String] = [:]
        var ownerOfTag: [String: String] = [:]
        for (file, entry) in entries {
            if let other = fileOfName[entry.name] {
                problems.append(.init(file: file, line: nil, field: "name", message: "entry '\(entry.name)' is also defined in \(other)"))
            }
            fileOfName[entry.name] = file
            for tag in entry.tags {
                let key = "\(entry.repository):\(tag)"
                if let other = ownerOfTag[key], other != entry.name {
                    problems.append(.init(file: file, line: nil, field: "tags", message: "\(key) is already tracked by entry '\(other)'"))
                }
                ownerOfTag[key] = entry.name
            }
        }
        let stored = try await store.entries()
        let storedByName = Dictionary(uniqueKeysWithValues: stored.map { ($0.entry.name, $0.entry) })
        for (file, entry) in entries {
            if let successor = entry.successor, fileOfName[successor] == nil, storedByName[successor] == nil {
                problems.append(.init(file: file, line: nil, field: "successor", message: "no entry named '\(successor)' in the files or the catalog"))
            }
        }
        for stored in stored where fileOfName[stored.entry.name] == nil {
            for tag in stored.entry.tags {
                let key = "\(stored.entry.repository):\(tag)"
                if let owner = ownerOfTag[key] {
                    problems.append(.init(file: fileOfName[owner]!, line: nil, field: "tags", message: "\(key) is already tracked by entry '\(stored.entry.name)'"))
                }
            }
        }
        guard problems.isEmpty else { throw ApplyError(problems: problems) }

        // Plan.
        let at = now()
        var report = ApplyReport()
        var changes = CatalogPlan()
        for (file, entry) in entries {
            let actor = "apply:\(file)"
            if let old = storedByName[entry.name] {
                if old == entry {
                    report.unchanged.append(entry.name)
                } else {
                    report.updated.append(entry.name)
                    changes.updated.append(entry)
                    changes.events.append(
                        AuditEvent(
                            at: at, actor: actor, action: "image.update", subject: entry.name, image: entry.name, before: try Self.json(old),
                            after: try Self.json(entry), detail: Self.changedFields(old, entry)))
                }
            } else {
                report.created.append(entry.name)
                changes.created.append(entry)
                changes.events.append(
                    AuditEvent(at: at, actor: actor, action: "image.create", subject: entry.name, image: entry.name, after: try Self.json(entry)))
            }
        }
        for old in stored.map(\.entry) where fileOfName[old.name] == nil {
            guard prune else {
                report.missing.append(old.name)
                continue
            }
            guard old.status != .retired else { continue }
            var retired = old
            retired.status = .retired
            report.retired.append(old.name)
            changes.updated.append(retired)
            changes.events.append(
                AuditEvent(
                    at: at, actor: "apply:--prune", action: "image.retire", subject: old.name, image: old.name, reason: "not in the applied catalog files",
                    before: try Self.json(old), after: try Self.json(retired)))
        }
        let finalEntries = entries.map(\.entry) + stored.map(\.entry).filter { fileOfName[$0.name] == nil }
        for (file, content) in snapshotFiles {
            for snapshot in content.snapshots.sorted(by: { $0.seenAt < $1.seenAt }) {
                changes.observations.append(Self.observation(snapshot, entries: finalEntries, actor: "apply:\(file)"))
            }
        }
        let outcome = try await store.apply(changes)
        report.newObservations = outcome.newObservations
        report.approvalsAdded = outcome.approvalsAdded
        return report
    }

    /// An observation, approved when the entry tracking its tag has an automatic policy.
    static func observation(_ snapshot: ImageSnapshot, entries: [CatalogEntry], actor: String) -> ObservationWrite {
        guard let entry = entries.first(where: { $0.repository == snapshot.repository && $0.tags.contains(snapshot.tag) }),
            entry.approval.policy == .automatic
        else { return ObservationWrite(snapshot: snapshot) }
        return ObservationWrite(
            snapshot: snapshot, approveFor: entry.name,
            approval: Approval(by: actor, at: snapshot.seenAt, reason: "automatic policy: \(snapshot.repository):\(snapshot.tag) moved to this digest"))
    }

    /// JSON naming the top-level fields that differ, for the audit log.
    static func changedFields(_ old: CatalogEntry, _ new: CatalogEntry) -> String {
        func fields(_ entry: CatalogEntry) -> [String: String] {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            guard let data = try? encoder.encode(entry),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
            else { return [:] }
            return object.mapValues { value in
                (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed])).map { String(decoding: $0, as: UTF8.self) } ?? ""
            }
        }
        let before = fields(old)
        let after = fields(new)
        let changed = Set(before.keys).union(after.keys).filter { before[$0] != after[$0] }.sorted()
        let data = try? JSONSerialization.data(withJSONObject: ["changed": changed], options: .sortedKeys)
        return data.map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
