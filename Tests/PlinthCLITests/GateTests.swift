import Foundation
import PlinthTestSupport
import Testing

/// `plinth pin` then `plinth check` on a copy of a Dockerfile corpus, with the seeded catalog:
/// each test against the database (`--db`) and against `plinth serve` on it (`--server`).
@Suite("plinth pin and check", .serialized)
struct GateTests {
    static let corpus: [String: String] = [
        "single/Dockerfile": "FROM debian:bookworm-slim\nRUN apt-get update\n",
        "multi/Dockerfile": """
            # syntax=docker/dockerfile:1
            FROM golang:1.23 AS build
            RUN go build -o /app
            FROM python:3.12-slim-bookworm
            COPY --from=build /app /app
            COPY --from=busybox:1.37 /bin/busybox /bin/
            """,
        "args/Dockerfile": "ARG NODE=node:22-bookworm-slim\nFROM ${NODE}\n",
        "spacing/Dockerfile": "# keep  this   spacing\nfrom   ubuntu:24.04   as   base\n\nRUN true \\\n  && echo done\n",
        "scratch/Dockerfile": "FROM scratch\nCOPY app /app\n",
        "untracked/Dockerfile": "FROM nginx:1.27\nFROM alpine:3.24\n",
        "stale/Dockerfile": "FROM debian:bookworm-slim@sha256:abd67ffcfa541b485a3dff59865ab629aa048a6c613e639d36e7456b0b229241\n",
    ]
    static let current = "sha256:3783cc01769c7b2b1b83a5c5ad96c815348e28ed7da68e2e3687004faa906251"

    static func setUp() async throws -> (db: String, dir: URL) {
        let dir = try Fixtures.directory(corpus)
        let db = try await TestBackend.newLocation(in: dir)
        let seed = TestRegistries.repositoryRoot.appendingPathComponent("seed-data").path
        let apply = try await PlinthBinary.run(["apply", seed, "--db", db])
        #expect(apply.status == 0, "\(apply.stderr)")
        return (db, dir)
    }

    @Test(arguments: ReadTarget.allCases) func pinThenCheckThenPinAgain(_ target: ReadTarget) async throws {
        let (db, dir) = try await Self.setUp()
        let reader = try await target.open(db)
        defer { reader.stop() }
        let files = Self.corpus.keys.sorted().map { dir.appendingPathComponent($0).path }
        let pin = try await PlinthBinary.run(["pin"] + reader.arguments + files)
        #expect(pin.status == 0, "\(pin.stderr)")
        let single = try String(contentsOfFile: dir.appendingPathComponent("single/Dockerfile").path, encoding: .utf8)
        #expect(single == "FROM debian:bookworm-slim@\(Self.current)\nRUN apt-get update\n")
        let stale = try String(contentsOfFile: dir.appendingPathComponent("stale/Dockerfile").path, encoding: .utf8)
        #expect(stale == "FROM debian:bookworm-slim@\(Self.current)\n")
        let spacing = try String(contentsOfFile: dir.appendingPathComponent("spacing/Dockerfile").path, encoding: .utf8)
        #expect(spacing.hasPrefix("# keep  this   spacing\nfrom   ubuntu:24.04@sha256:"))
        #expect(spacing.hasSuffix("   as   base\n\nRUN true \\\n  && echo done\n"))
        // What pin could not pin, it says, with file and line.
        #expect(pin.stderr.contains("args/Dockerfile:2: ${NODE}: uses variables"))
        #expect(pin.stderr.contains("multi/Dockerfile:2: golang:1.23: not in the catalog"))
        #expect(pin.stderr.contains("untracked/Dockerfile:1: nginx:1.27: not in the catalog"))

        // The gate: tracked bases pinned and passing; the others named by file and line.
        let check = try await PlinthBinary.run(["check"] + reader.arguments + ["--json"] + files.flatMap { ["--dockerfile", $0] })
        #expect(check.status == 1)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(check.stdout.utf8)) as? [String: Any])
        let results = try #require(report["results"] as? [[String: Any]])
        let failing = results.filter { $0["passes"] as? Bool == false }.map { "\($0["source"]!) \($0["input"]!) \($0["reference"]!) \($0["verdict"]!)" }
        #expect(failing.sorted() == [
            "\(dir.path)/args/Dockerfile:2 node:22-bookworm-slim docker.io/library/node:22-bookworm-slim unpinned",
            "\(dir.path)/multi/Dockerfile:2 golang:1.23 docker.io/library/golang:1.23 unpinned",
            "\(dir.path)/untracked/Dockerfile:1 nginx:1.27 docker.io/library/nginx:1.27 unpinned",
        ])
        let untracked = try #require(results.first { $0["input"] as? String == "nginx:1.27" })
        #expect(untracked["reason"] as? String == "not pinned by digest, and no catalog entry tracks docker.io/library/nginx:1.27")
        let passing = results.filter { $0["passes"] as? Bool == true }.map { "\($0["input"]!)".split(separator: "@").first.map(String.init)! }
        #expect(passing.sorted() == ["alpine:3.24", "busybox:1.37", "debian:bookworm-slim", "debian:bookworm-slim", "python:3.12-slim-bookworm", "ubuntu:24.04"])

        // Pinning again changes no byte.
        let before = try files.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        let again = try await PlinthBinary.run(["pin"] + reader.arguments + files)
        #expect(again.status == 0)
        #expect(again.stdout.isEmpty)
        #expect(try files.map { try Data(contentsOf: URL(fileURLWithPath: $0)) } == before)
        let checkOnly = try await PlinthBinary.run(["pin", "--check"] + reader.arguments + files)
        #expect(checkOnly.status == 0)
    }

    @Test(arguments: ReadTarget.allCases) func checkOnlyReportsAndSarifNamesFileAndLine(_ target: ReadTarget) async throws {
        let (db, dir) = try await Self.setUp()
        let reader = try await target.open(db)
        defer { reader.stop() }
        let file = dir.appendingPathComponent("single/Dockerfile").path
        let dryRun = try await PlinthBinary.run(["pin", "--check"] + reader.arguments + [file])
        #expect(dryRun.status == 1)
        #expect(dryRun.stdout == "\(file):1: debian:bookworm-slim -> debian:bookworm-slim@\(Self.current)\n")
        #expect(try String(contentsOfFile: file, encoding: .utf8) == Self.corpus["single/Dockerfile"])
        let sarif = try await PlinthBinary.run(["check"] + reader.arguments + ["--sarif", "--dockerfile", file])
        #expect(sarif.status == 1)
        let log = try #require(try JSONSerialization.jsonObject(with: Data(sarif.stdout.utf8)) as? [String: Any])
        #expect(log["version"] as? String == "2.1.0")
        let result = try #require(((log["runs"] as? [[String: Any]])?.first?["results"] as? [[String: Any]])?.first)
        #expect(result["ruleId"] as? String == "plinth/unpinned")
        let location = try #require((result["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])
        #expect((location["region"] as? [String: Any])?["startLine"] as? Int == 1)
        // Allowed when a tracked tag is enough.
        let lenient = try await PlinthBinary.run(["check"] + reader.arguments + ["--allow-unpinned-tracked", "--dockerfile", file])
        #expect(lenient.status == 0, "\(lenient.stdout)")
    }

    @Test(arguments: ReadTarget.allCases) func malformedInputIsExitTwoWithOneLine(_ target: ReadTarget) async throws {
        let (db, dir) = try await Self.setUp()
        let reader = try await target.open(db)
        defer { reader.stop() }
        let bad = dir.appendingPathComponent("bad.Dockerfile")
        try Data("FROM alpine\nRUN <<EOF\necho\n".utf8).write(to: bad)
        let check = try await PlinthBinary.run(["check"] + reader.arguments + ["--dockerfile", bad.path])
        #expect(check.status == 2)
        #expect(check.stderr == "plinth: \(bad.path):2: heredoc 'EOF' is never closed\n")
        let pin = try await PlinthBinary.run(["pin"] + reader.arguments + [bad.path])
        #expect(pin.status == 2)
        let reference = try await PlinthBinary.run(["check"] + reader.arguments + ["Not A Reference"])
        #expect(reference.status == 2)
        #expect(reference.stderr.hasPrefix("plinth: 'Not A Reference': "))
        #expect(reference.stderr.split(separator: "\n").count == 1)
    }
}
