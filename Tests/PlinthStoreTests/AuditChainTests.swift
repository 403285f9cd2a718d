import Foundation
import GRDB
import PlinthCore
import PlinthTestSupport
import Testing

@testable import PlinthStore

@Suite("Audit chain")
struct AuditChainTests {
    static func event(_ n: Int) -> AuditEvent {
        AuditEvent(
            at: Date(timeIntervalSince1970: 1_790_000_000 + Double(n)), actor: "token:alice", action: "digest.approve", subject: "s\(n)",
            image: "debian-bookworm-slim", reason: "why \(n)", after: #"{"n":\#(n)}"#)
    }

    @Test func eventsWrittenByTheStoreFormAChainThatVerifies() async throws {
        let database = try await TestDatabase()
        try await database.store.record((1...5).map(Self.event))
        try await database.store.record([Self.event(6)])
        let events = try await database.store.auditEvents(after: 0, limit: 100)
        #expect(events.compactMap(\.id) == [1, 2, 3, 4, 5, 6])
        #expect(events.first?.previousHash == AuditChain.genesis)
        #expect(zip(events, events.dropFirst()).allSatisfy { $0.hash == $1.previousHash })
        #expect(AuditChain.verify(events) == .valid(events: 6, head: events.last!.hash!))
    }

    @Test func everyKindOfTamperingIsCaughtAtTheFirstBadEvent() async throws {
        let database = try await TestDatabase()
        try await database.store.record((1...5).map(Self.event))
        let events = try await database.store.auditEvents(after: 0, limit: 100)
        var edited = events
        edited[2].reason = "a better story"
        #expect(AuditChain.verify(edited) == .broken(eventID: 3, reason: "event 3 was changed after it was written (its fields no longer hash to its recorded hash)"))
        var deleted = events
        deleted.remove(at: 1)
        #expect(AuditChain.verify(deleted).isBroken(at: 3))
        var reordered = events
        reordered.swapAt(1, 2)
        (reordered[1].id, reordered[2].id) = (2, 3)
        #expect(AuditChain.verify(reordered).isBroken(at: 2))
        var rehashed = events
        rehashed[3].actor = "someone"
        rehashed[3].hash = AuditChain.hash(of: rehashed[3], id: 4, previous: rehashed[3].previousHash!)
        #expect(AuditChain.verify(rehashed).isBroken(at: 5), "a recomputed hash breaks the next link")
    }

    /// A database from before the chain (migrations 0001 and 0002), with events, opened by this
    /// version: migration 0003 seals the old events into a chain that verifies.
    @Test func eventsWrittenBeforeTheChainAreSealedByTheMigration() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-upgrade-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("old.sqlite").path
        do {
            let queue = try DatabaseQueue(path: path)
            try Migrations.migrator().migrate(queue, upTo: "0002_sync")
            try await queue.write { db in
                for n in 1...3 {
                    try db.execute(
                        sql: "INSERT INTO audit_events (at, actor, action, subject, reason, detail) VALUES (?, 'apply:x.yaml', 'image.create', ?, NULL, NULL)",
                        arguments: ["2026-11-0\(n)T00:00:00.000Z", "image-\(n)"])
                }
            }
        }
        let store = try SQLiteStore(path: path)
        try await store.record([Self.event(4)])
        let events = try await store.auditEvents(after: 0, limit: 100)
        #expect(events.map(\.subject) == ["image-1", "image-2", "image-3", "s4"])
        guard case .valid(let count, _) = AuditChain.verify(events) else {
            Issue.record("the upgraded chain does not verify: \(AuditChain.verify(events))")
            return
        }
        #expect(count == 4)
    }
}

extension AuditChain.Verification {
    func isBroken(at id: Int64) -> Bool {
        if case .broken(let eventID, _) = self { return eventID == id }
        return false
    }
}

@Suite("Affected entries as stored")
struct AffectedCodingTests {
    @Test func rangesAndVersionListsSurviveTheCompactForm() throws {
        let affected = try JSONDecoder().decode(
            OSVRecord.Affected.self,
            from: Data(
                #"""
                {"versions": ["1.0-1", "1.0-10", "2:3.1~rc1"],
                 "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.2-1"}]},
                            {"type": "GIT", "events": [{"introduced": "abc"}]},
                            {"type": "ECOSYSTEM", "events": [{"introduced": "2.0"}, {"last_affected": "2.1"}, {"limit": "3"}]}]}
                """#.utf8))
        let (decoded, listed) = AffectedCoding.decode(AffectedCoding.encode(affected))
        #expect(decoded.ranges == affected.ranges?.filter { $0.type == "ECOSYSTEM" })
        #expect(AffectedCoding.lists(listed, "1.0-1"))
        #expect(AffectedCoding.lists(listed, "2:3.1~rc1"))
        #expect(!AffectedCoding.lists(listed, "1.0"))
        #expect(!AffectedCoding.lists(listed, "1.0-1 "))
        #expect(!AffectedCoding.lists("", "1.0-1"))
    }
}
