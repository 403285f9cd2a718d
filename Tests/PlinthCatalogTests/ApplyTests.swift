import Foundation
import PlinthCore
import PlinthStore
import PlinthTestSupport
import Testing

@testable import PlinthCatalog

@Suite("Catalog as code: apply")
struct ApplyTests {
    @Test func seedCatalogAppliesOnceAndThenChangesNothing() async throws {
        let database = try await TestDatabase()
        let catalog = database.catalog()
        let first = try await catalog.apply(.embedded)
        #expect(first.created.count == 18)
        #expect(first.newObservations == 14)  // 11 current builds + 3 earlier builds of the same tags
        #expect(first.approvalsAdded == 11)  // alpine-3-21 and amazonlinux-2023 (2 builds) have manual policies
        let generation = await database.store.generation()

        let second = try await catalog.apply(.embedded)
        #expect(second.changedNothing)
        #expect(second.unchanged.count == 18)
        #expect(second.created.isEmpty && second.updated.isEmpty)
        #expect(await database.store.generation() == generation)
    }

    @Test func everyChangeIsAuditedByItsFile() async throws {
        let database = try await TestDatabase()
        let catalog = database.catalog()
        let directory = try Fixtures.directory(["debian.yaml": Fixtures.entryYAML(name: "debian-slim")])
        _ = try await catalog.apply(try .directory(directory.path))
        try Data(Fixtures.entryYAML(name: "debian-slim", title: "Debian 12 slim").utf8).write(to: directory.appendingPathComponent("debian.yaml"))
        let report = try await catalog.apply(try .directory(directory.path))
        #expect(report.updated == ["debian-slim"])
        let events = try await database.store.auditEvents(limit: 10)
        #expect(events.map(\.action) == ["image.update", "image.create"])
        #expect(events.allSatisfy { $0.actor == "apply:debian.yaml" })
        #expect(events.first?.detail == #"{"changed":["title"]}"#)
    }

    @Test func aBrokenFileAmongGoodOnesWritesNothingAndNamesFileLineAndField() async throws {
        let database = try await TestDatabase()
        let catalog = database.catalog()
        let broken = Fixtures.entryYAML(name: "broken-entry", repository: "docker.io/library/alpine", tags: ["3.22"])
            .replacingOccurrences(of: "approval: {policy: automatic, grace_days: 14}", with: "approval: {policy: automatic, grace_days: fourteen}")
        let directory = try Fixtures.directory([
            "a-good.yaml": Fixtures.entryYAML(name: "debian-slim"),
            "b-broken.yaml": broken,
        ])
        await #expect {
            try await catalog.apply(try .directory(directory.path))
        } throws: { error in
            let problems = (error as? ApplyError)?.problems ?? []
            return problems == [
                EntryFileError(file: "b-broken.yaml", line: 13, field: "approval.grace_days", message: "'fourteen' must be a whole number of days from 0 to 365")
            ]
        }
        #expect(try await database.store.entries().isEmpty)
        #expect(try await database.store.auditEvents(limit: 10).isEmpty)
    }

    @Test(arguments: [
        ("name: [unclosed\n", 2, nil as String?, "invalid YAML"),
        ("name: x\n", 1, "title", "required field is missing"),
        (Fixtures.entryYAML(name: "debian-slim") + "colour: blue\n", 14, "colour", "unknown field"),
        (Fixtures.entryYAML(name: "Debian_Slim"), 1, "name", "must match"),
        (Fixtures.entryYAML(name: "debian-slim").replacingOccurrences(of: "status: approved", with: "status: blessed"), 5, "status", "'blessed' is not one of"),
        (Fixtures.entryYAML(name: "debian-slim").replacingOccurrences(of: "linux/arm64]", with: "linux]"), 7, "platforms[1]", "is not a platform"),
        (Fixtures.entryYAML(name: "debian-slim").replacingOccurrences(of: "docker.io/library/debian", with: "docker.io/library/debian:12"), 3, "repository", "name the repository only"),
        (Fixtures.entryYAML(name: "debian-slim").replacingOccurrences(of: "eol: 2028-06-30", with: "eol: 2028-02-30"), 6, "os.eol", "is not a date"),
        (Fixtures.entryYAML(name: "debian-slim").replacingOccurrences(of: "support: supported", with: "support: great"), 9, "workloads[0].support", "'great' is not one of"),
        (Fixtures.entryYAML(name: "debian-slim") + "source: http://example.org/debian\n", 14, "source", "is not an https:// URL"),
        (Fixtures.entryYAML(name: "debian-slim") + "source: https://\n", 14, "source", "is not an https:// URL"),
    ])
    func invalidFilesAreRejectedWithWhereAndWhat(_ text: String, _ line: Int, _ field: String?, _ message: String) async throws {
        let database = try await TestDatabase()
        let directory = try Fixtures.directory(["entry.yaml": text])
        do {
            _ = try await database.catalog().apply(try .directory(directory.path))
            Issue.record("apply accepted an invalid file")
        } catch let error as ApplyError {
            let problem = try #require(error.problems.first)
            #expect(problem.file == "entry.yaml")
            #expect(problem.line == line)
            #expect(problem.field == field)
            #expect(problem.message.contains(message), "\(problem.message)")
        }
        #expect(try await database.store.entries().isEmpty)
    }

    @Test func rulesAcrossFilesAreChecked() async throws {
        let database = try await TestDatabase()
        let directory = try Fixtures.directory([
            "one.yaml": Fixtures.entryYAML(name: "debian-slim"),
            "two.yaml": Fixtures.entryYAML(name: "debian-slim-two"),  // same repository and tag
            "three.yaml": Fixtures.entryYAML(name: "alpine", repository: "alpine", tags: ["3.22"]) + "successor: nowhere\n",
        ])
        do {
            _ = try await database.catalog().apply(try .directory(directory.path))
            Issue.record("apply accepted conflicting files")
        } catch let error as ApplyError {
            #expect(error.problems.map(\.description).sorted() == [
                "three.yaml: successor: no entry named 'nowhere' in the files or the catalog",
                "two.yaml: tags: docker.io/library/debian:bookworm-slim is already tracked by entry 'debian-slim'",
            ])
        }
    }

    @Test func missingEntriesAreReportedAndRetiredOnlyWithPrune() async throws {
        let database = try await TestDatabase()
        let catalog = database.catalog()
        let both = try Fixtures.directory([
            "a.yaml": Fixtures.entryYAML(name: "debian-slim"),
            "b.yaml": Fixtures.entryYAML(name: "alpine", repository: "alpine", tags: ["3.22"]),
        ])
        _ = try await catalog.apply(try .directory(both.path))
        let one = try Fixtures.directory(["a.yaml": Fixtures.entryYAML(name: "debian-slim")])
        let report = try await catalog.apply(try .directory(one.path))
        #expect(report.missing == ["alpine"])
        #expect(try await database.store.entry(named: "alpine")?.entry.status == .approved)

        let pruned = try await catalog.apply(try .directory(one.path), prune: true)
        #expect(pruned.retired == ["alpine"])
        #expect(try await database.store.entry(named: "alpine")?.entry.status == .retired)
    }

    @Test func aDirectoryWithoutEntryFilesIsAnError() throws {
        let empty = try Fixtures.directory(["notes.txt": "hello"])
        #expect(throws: CatalogSource.ReadError.self) { try CatalogSource.directory(empty.path) }
        #expect(throws: CatalogSource.ReadError.self) { try CatalogSource.directory("/nonexistent/plinth") }
    }
}
