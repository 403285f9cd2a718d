import Foundation
import PlinthTestSupport
import Testing

/// The read verbs (lookup, history, changelog, diff, advisories list, check) against the
/// database (`--db`) and against `plinth serve` on it
/// (`--server`): the same answers, the same words, the same exit codes.
@Suite("Read verbs, locally and against a server", .serialized)
struct ReadVerbTests {
    static let index = "sha256:3783cc01769c7b2b1b83a5c5ad96c815348e28ed7da68e2e3687004faa906251"
    static let amd64 = "sha256:f3034a6ec3c1205360777c4aae76234998866ad18806ae62b63a3f84ccad782b"
    static let earlier = "sha256:abd67ffcfa541b485a3dff59865ab629aa048a6c613e639d36e7456b0b229241"
    static let unknown = "sha256:" + String(repeating: "0123456789abcdef", count: 4)

    /// The value of a row of lookup's table (`label   value`).
    static func field(_ output: String, _ label: String) -> String? {
        output.split(separator: "\n").first { $0.hasPrefix(label + " ") }.map { $0.dropFirst(label.count).trimmingCharacters(in: .whitespaces) }
    }

    static func seeded() async throws -> String {
        let dir = try Fixtures.directory(["README": "a catalog for the test\n"])
        let db = try await TestBackend.newLocation(in: dir)
        let seed = TestRegistries.repositoryRoot.appendingPathComponent("seed-data").path
        let apply = try await PlinthBinary.run(["apply", seed, "--db", db])
        #expect(apply.status == 0, "\(apply.stderr)")
        return db
    }

    @Test(arguments: ReadTarget.allCases) func lookupSaysWhatTheVerdictIsAndExitsByIt(_ target: ReadTarget) async throws {
        let db = try await Self.seeded()
        let reader = try await target.open(db)
        defer { reader.stop() }

        let approved = try await PlinthBinary.run(["lookup", Self.index] + reader.arguments)
        #expect(approved.status == 0, "\(approved.stderr)")
        #expect(Self.field(approved.stdout, "verdict") == "approved", "\(approved.stdout)")
        #expect(Self.field(approved.stdout, "image")?.hasPrefix("debian-bookworm-slim  (docker.io/library/debian: bookworm-slim") == true, "\(approved.stdout)")
        #expect(Self.field(approved.stdout, "reason")?.hasPrefix("approved: current digest of debian-bookworm-slim") == true, "\(approved.stdout)")

        // A reference is looked up through the tag's entry; its platform manifest follows it.
        let byTag = try await PlinthBinary.run(["lookup", "debian:bookworm-slim"] + reader.arguments)
        #expect(byTag.status == 0)
        #expect(Self.field(byTag.stdout, "digest") == Self.index, "\(byTag.stdout)")
        let platform = try await PlinthBinary.run(["lookup", Self.amd64, "--json"] + reader.arguments)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(platform.stdout.utf8)) as? [String: Any])
        #expect(json["platform"] as? String == "linux/amd64")
        #expect(json["index"] as? String == Self.index)

        // Superseded in grace passes; an unknown digest and an untracked tag do not.
        let superseded = try await PlinthBinary.run(["lookup", Self.earlier] + reader.arguments)
        #expect(["superseded", "expired"].contains(Self.field(superseded.stdout, "verdict") ?? ""), "\(superseded.stdout)")
        let unknown = try await PlinthBinary.run(["lookup", Self.unknown] + reader.arguments)
        #expect(unknown.status == 1)
        #expect(Self.field(unknown.stdout, "reason") == "unknown: Plinth has never seen this digest", "\(unknown.stdout)")
        let untracked = try await PlinthBinary.run(["lookup", "nginx:1.27"] + reader.arguments)
        #expect(untracked.status == 2)
        #expect(untracked.stderr == "plinth: docker.io/library/nginx:1.27 is not a tracked tag with an approved digest; pass a digest\n")
        let malformed = try await PlinthBinary.run(["lookup", "Not A Reference"] + reader.arguments)
        #expect(malformed.status == 2)
    }

    @Test func theServerAnswersPrintExactlyAsTheDatabaseDoes() async throws {
        let db = try await Self.seeded()
        let server = try await ServeProcess(db: db)
        defer { server.stop() }
        // pin --check reads a Dockerfile and changes nothing, so both runs see the same file.
        let dockerfile = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-read-verbs-\(UUID().uuidString).Dockerfile").path
        try "FROM debian:bookworm-slim AS build\nFROM alpine:3.24\nFROM nginx:1.27\n".write(toFile: dockerfile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: dockerfile) }
        let commands: [[String]] = [
            ["lookup", Self.index], ["lookup", Self.index, "--json"], ["lookup", Self.amd64], ["lookup", Self.earlier, "--json"], ["lookup", Self.unknown],
            ["lookup", Self.unknown, "--json"], ["lookup", "debian:bookworm-slim"], ["lookup", "alpine:3.24", "--json"], ["lookup", "nginx:1.27"],
            ["history", "debian-bookworm-slim"], ["history", "debian-bookworm-slim", "--json"], ["history", "no-such-entry"],
            ["changelog", "debian-bookworm-slim"], ["changelog", "debian-bookworm-slim", "--json"], ["changelog", "no-such-entry"],
            ["diff", Self.earlier, Self.index], ["diff", Self.earlier, Self.index, "--json"], ["diff", Self.unknown, Self.index],
            ["advisories", "list", Self.index], ["advisories", "list", Self.index, "--json"], ["advisories", "list", Self.unknown],
            ["check", Self.index, "debian:bookworm-slim", "nginx:1.27"], ["check", "--json", Self.earlier, "alpine:3.24"],
            ["check", "--sarif", "debian:bookworm-slim"], ["check", "--allow-unpinned-tracked", "debian:bookworm-slim"], ["check", "Not A Reference"],
            ["surface", Self.index], ["surface", Self.amd64, "--json"], ["surface", Self.unknown],
            ["pin", "--check", dockerfile], ["check", "--dockerfile", dockerfile],
        ]
        for command in commands {
            let local = try await PlinthBinary.run(command + ["--db", db])
            let remote = try await PlinthBinary.run(command + ["--server", server.url])
            #expect(local.stdout == remote.stdout, "\(command)")
            #expect(local.status == remote.status, "\(command)")
            #expect(local.stderr == remote.stderr, "\(command): \(local.stderr) / \(remote.stderr)")
        }
        // PLINTH_SERVER selects the server; --db on the command line wins over it.
        let byEnvironment = try await PlinthBinary.run(["lookup", Self.index], environment: ["PLINTH_SERVER": server.url, "PLINTH_DB": "/nonexistent/plinth.sqlite"])
        #expect(byEnvironment.status == 0, "\(byEnvironment.stderr)")
        let both = try await PlinthBinary.run(["lookup", Self.index, "--db", db, "--server", server.url])
        #expect(both.status == 2)
        #expect(both.stderr.contains("--db and --server both name a catalog"), "\(both.stderr)")
        let nowhere = try await PlinthBinary.run(["lookup", Self.index, "--server", "http://127.0.0.1:1"])
        #expect(nowhere.status == 2)
        #expect(nowhere.stderr.hasPrefix("plinth: cannot reach the Plinth server at http://127.0.0.1:1"), "\(nowhere.stderr)")
        let notURL = try await PlinthBinary.run(["lookup", Self.index, "--server", "ftp://example"])
        #expect(notURL.status == 2)
    }

    @Test(arguments: ReadTarget.allCases) func historyChangelogDiffAndAdvisoriesSayWhatTheyFind(_ target: ReadTarget) async throws {
        let db = try await Self.seeded()
        let reader = try await target.open(db)
        defer { reader.stop() }
        let history = try await PlinthBinary.run(["history", "debian-bookworm-slim"] + reader.arguments)
        #expect(history.status == 0, "\(history.stderr)")
        #expect(history.stdout.hasPrefix("debian-bookworm-slim  docker.io/library/debian\n"), "\(history.stdout)")
        let row = history.stdout.split(separator: "\n").first { $0.contains(Self.index) }.map(String.init) ?? ""
        #expect(row.hasPrefix("bookworm-slim") && row.contains("approved"), "\(history.stdout)")
        let missing = try await PlinthBinary.run(["history", "no-such-entry"] + reader.arguments)
        #expect(missing.status == 2)
        #expect(missing.stderr == "plinth: no image named 'no-such-entry' in the catalog\n", "\(missing.stderr)")

        let changelog = try await PlinthBinary.run(["changelog", "debian-bookworm-slim", "--json"] + reader.arguments)
        let items = (try JSONSerialization.jsonObject(with: Data(changelog.stdout.utf8)) as? [String: Any])?["items"] as? [[String: Any]] ?? []
        #expect(items.contains { $0["action"] as? String == "digest.seen" && $0["digest"] as? String == Self.index }, "\(changelog.stdout)")

        let diff = try await PlinthBinary.run(["diff", Self.earlier, Self.index, "--json"] + reader.arguments)
        #expect(diff.status == 0, "\(diff.stderr)")
        let changes = try #require(try JSONSerialization.jsonObject(with: Data(diff.stdout.utf8)) as? [String: Any])
        #expect(changes["from"] as? String == Self.earlier)
        #expect(changes["to"] as? String == Self.index)
        #expect(!(changes["summary"] as? String ?? "").isEmpty)

        let advisories = try await PlinthBinary.run(["advisories", "list", Self.index] + reader.arguments)
        #expect(advisories.stdout.contains("advisories in "), "\(advisories.stdout)\(advisories.stderr)")
        let never = try await PlinthBinary.run(["advisories", "list", Self.unknown] + reader.arguments)
        #expect(never.status == 2)
        #expect(never.stderr == "plinth: Plinth has never seen \(Self.unknown)\n", "\(never.stderr)")
    }

    @Test func aServerThatNeedsATokenGetsIt() async throws {
        let db = try await Self.seeded()
        let created = try await PlinthBinary.run(["token", "create", "--role", "reader", "--name", "ci", "--expires", "1d", "--db", db])
        let token = try #require(created.stdout.split(whereSeparator: \.isWhitespace).first { $0.hasPrefix("plinth_") }.map(String.init))
        let server = try await ServeProcess(db: db, arguments: ["--auth-reads"], curlOptions: ["-H", "Authorization: Bearer \(token)"])
        defer { server.stop() }
        let refused = try await PlinthBinary.run(["lookup", Self.index, "--server", server.url])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("answered 401"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("plinth_"))
        let withFlag = try await PlinthBinary.run(["lookup", Self.index, "--server", server.url, "--token", token])
        #expect(withFlag.status == 0, "\(withFlag.stderr)")
        let withEnvironment = try await PlinthBinary.run(["check", Self.index, "--server", server.url], environment: ["PLINTH_TOKEN": token])
        #expect(withEnvironment.status == 0, "\(withEnvironment.stdout)\(withEnvironment.stderr)")
    }
}
