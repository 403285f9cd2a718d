import Foundation
import PlinthTestSupport
import Testing

/// `plinth audit verify` against audit logs edited behind Plinth's back with the `sqlite3` tool.
@Suite("Audit log tamper evidence", .serialized)
struct AuditVerifyTests {
    /// A database holding the seed catalog's events and a token's, made by the CLI.
    static func database() async throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-audit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let db = directory.appendingPathComponent("plinth.sqlite").path
        let seed = TestRegistries.repositoryRoot.appendingPathComponent("seed-data").path
        let apply = try await PlinthBinary.run(["apply", seed, "--db", db])
        #expect(apply.status == 0, "\(apply.stderr)")
        let token = try await PlinthBinary.run(["token", "create", "--role", "curator", "--name", "ci", "--db", db])
        #expect(token.status == 0, "\(token.stderr)")
        return db
    }

    static func sqlite(_ db: String, _ sql: String) async throws -> (Bool, String) {
        try await TestRegistries.run("sqlite3", [db, sql])
    }

    static func eventCount(_ db: String) async throws -> Int {
        let (_, output) = try await sqlite(db, "SELECT count(*) FROM audit_events")
        return Int(output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    @Test func aCleanLogVerifies() async throws {
        let db = try await Self.database()
        let count = try await Self.eventCount(db)
        #expect(count == 30)  // 18 entries created, 11 approvals from seed snapshots, 1 token
        let result = try await PlinthBinary.run(["audit", "verify", "--db", db])
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("audit log verifies: \(count) events, head "))
    }

    @Test func anEditedEventIsNamed() async throws {
        let db = try await Self.database()
        // The triggers refuse an edit made the ordinary way...
        let (refused, message) = try await Self.sqlite(db, "UPDATE audit_events SET reason = 'nobody asked' WHERE id = 5")
        #expect(!refused)
        #expect(message.contains("audit events are append-only"))
        // ...so someone drops them first. The chain still tells.
        let (edited, error) = try await Self.sqlite(
            db, "DROP TRIGGER audit_events_no_update; UPDATE audit_events SET actor = 'someone-else' WHERE id = 12")
        #expect(edited, "\(error)")
        let result = try await PlinthBinary.run(["audit", "verify", "--db", db])
        #expect(result.status == 1)
        #expect(result.stderr == "plinth: audit log does not verify at event 12: event 12 was changed after it was written (its fields no longer hash to its recorded hash)\n")
    }

    @Test func aDeletedEventIsNamedByTheGapItLeaves() async throws {
        let db = try await Self.database()
        let (deleted, error) = try await Self.sqlite(db, "DROP TRIGGER audit_events_no_delete; DELETE FROM audit_events WHERE id = 7")
        #expect(deleted, "\(error)")
        let result = try await PlinthBinary.run(["audit", "verify", "--db", db])
        #expect(result.status == 1)
        #expect(result.stderr.contains("at event 8: event 8 follows event 6"))
    }

    @Test func reorderedEventsAreNamed() async throws {
        let db = try await Self.database()
        // Swap events 3 and 4, ids and all, hashes carried along.
        let (swapped, error) = try await Self.sqlite(
            db,
            """
            DROP TRIGGER audit_events_no_update;
            UPDATE audit_events SET id = -3 WHERE id = 3; UPDATE audit_events SET id = 3 WHERE id = 4; UPDATE audit_events SET id = 4 WHERE id = -3;
            """)
        #expect(swapped, "\(error)")
        let result = try await PlinthBinary.run(["audit", "verify", "--db", db])
        #expect(result.status == 1)
        #expect(result.stderr.contains("at event 3: event 3 does not link to the event before it"))
    }

    @Test func aRewrittenEventWithARecomputedHashBreaksTheNextLink() async throws {
        let db = try await Self.database()
        // Someone edits an event and replaces its hash with garbage of the right shape: the
        // next event's link no longer matches.
        let (edited, error) = try await Self.sqlite(
            db, "DROP TRIGGER audit_events_no_update; UPDATE audit_events SET hash = '\(String(repeating: "ab", count: 32))' WHERE id = 9")
        #expect(edited, "\(error)")
        let result = try await PlinthBinary.run(["audit", "verify", "--db", db])
        #expect(result.status == 1)
        #expect(result.stderr.contains("at event 9"))
    }
}
