import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PlinthCatalog
import PlinthCore
import PlinthTestSupport
import Prometheus
import Testing

@testable import PlinthServer

/// One question, one answer: the same inputs sent to `plinth check --json` and to
/// `POST /v1/check` get the same judgment, field for field.
@Suite("plinth check and POST /v1/check agree")
struct JudgmentParityTests {
    static let trixieIndex = "sha256:d7e12182ce18b85b93007c1dedf31f2d29e01ccf3182cc4017c709b6259bc132"
    static let trixieAmd64 = "sha256:abc9cb88a5587630d7f915f47b23b0668fe250fbfc6457aa4d52b534c1bbf73f"
    static let trixieEarlier = "sha256:3a39a0592364683e6bab97937b72cad5a8fa6dcbbee90edb3bb48c7f8e94f258"
    static let alpineIndex = "sha256:81ec32e1e073303f1591af7725ca32446d44d12907c1f4e2851a95031faaec99"
    static let ubuntuIndex = "sha256:1428a953896eef9e62fc6ef60cad05bbf98769f6ea5f8c278e519b9dd168ab26"

    /// Digests, references in every form, invalid input.
    static let inputs: [String] = [
        // Digests: current, platform, attestation, superseded, unknown, sha512, of other entries.
        Fixtures.bookwormSlimIndex, Fixtures.bookwormSlimAmd64, Fixtures.bookwormSlimAttestation, Fixtures.bookwormSlimEarlierIndex,
        Fixtures.unknownDigest, "sha512:" + String(repeating: "ab", count: 64), trixieIndex, trixieAmd64, trixieEarlier, alpineIndex, ubuntuIndex,
        // References without a digest: tracked, untracked, in every spelling.
        "debian", "ubuntu", "debian:bookworm-slim", "docker.io/library/debian:bookworm-slim", "index.docker.io/library/debian:bookworm-slim",
        "docker.io/debian:12-slim", "library/debian:trixie-slim", "debian:13-slim", "ubuntu:24.04", "alpine:3.21", "python:3.12-slim-bookworm",
        "gcr.io/distroless/static-debian12:nonroot", "busybox:1.37", "nginx:1.27", "localhost:5000/team/app:1.0", "quay.io/org/image:tag",
        "Foo/bar:1", "[::1]:5000/repo",
        // References pinned by digest: current, platform, stale, of another repository, unknown.
        "debian:bookworm-slim@" + Fixtures.bookwormSlimIndex, "debian:bookworm-slim@" + Fixtures.bookwormSlimAmd64,
        "debian:bookworm-slim@" + Fixtures.bookwormSlimEarlierIndex, "debian@" + Fixtures.bookwormSlimIndex,
        "alpine:3.21@" + Fixtures.bookwormSlimIndex, "debian:bookworm-slim@" + Fixtures.unknownDigest, "registry.example/app@" + Fixtures.unknownDigest,
        "ubuntu:24.04@" + ubuntuIndex, "debian:trixie-slim@" + trixieEarlier,
        // Invalid.
        "Not A Reference", ":justtag", "UPPER:tag", "repo@sha256:abc", "a//b", "-leading-dash", "debian:-tag", "sha256:xyz",
        "md5:" + String(repeating: "a", count: 32), String(repeating: "f", count: 64), "repo:",
    ]

    /// The bases of a Dockerfile, as `plinth check --dockerfile` reads them.
    static let dockerfile = """
        ARG BASE=debian:bookworm-slim
        FROM ${BASE} AS build
        FROM debian:bookworm-slim@\(Fixtures.bookwormSlimEarlierIndex) AS old
        FROM alpine:3.21
        COPY --from=busybox:1.37 /bin/busybox /busybox
        FROM build
        """

    static let fields = ["input", "reference", "digest", "verdict", "current_digest", "reason", "passes"]

    static func normalised(_ result: [String: Any]) -> [String: String] {
        Dictionary(uniqueKeysWithValues: fields.map { ($0, result[$0].map { "\($0)" } ?? "null") })
    }

    @Test func theCommandLineAndTheAPIGiveTheSameJudgmentForEveryInput() async throws {
        #expect(Self.inputs.count >= 40)
        let database = try await TestDatabase()
        let catalog = database.catalog(now: Date())
        _ = try await catalog.apply(.embedded)
        let directory = try Fixtures.directory(["Dockerfile": Self.dockerfile])
        let file = directory.appendingPathComponent("Dockerfile").path

        // The command line: every input as an argument (after `--`), then the Dockerfile.
        let cli = try await PlinthBinary.run(["check", "--db", database.location, "--json", "--"] + Self.inputs)
        #expect(cli.status == 2, "invalid inputs make it exit 2, after printing every judgment")
        let cliResults = try #require((try JSONSerialization.jsonObject(with: Data(cli.stdout.utf8)) as? [String: Any])?["results"] as? [[String: Any]])
        let cliFile = try await PlinthBinary.run(["check", "--db", database.location, "--json", "--dockerfile", file])
        let fileResults = try #require((try JSONSerialization.jsonObject(with: Data(cliFile.stdout.utf8)) as? [String: Any])?["results"] as? [[String: Any]])
        #expect(fileResults.map { $0["source"] as? String } == ["\(file):2", "\(file):3", "\(file):4", "\(file):5"])
        let bases = fileResults.compactMap { $0["input"] as? String }
        #expect(bases == ["debian:bookworm-slim", "debian:bookworm-slim@\(Fixtures.bookwormSlimEarlierIndex)", "alpine:3.21", "busybox:1.37"])

        // The API, on the same database.
        let app = Application(router: try PlinthApplication.router(catalog: catalog, metrics: PrometheusCollectorRegistry()))
        let items = Self.inputs + bases
        let body = try JSONSerialization.data(withJSONObject: ["items": items])
        let apiResults: [[String: Any]] = try await app.test(.router) { client in
            let response = try await client.execute(
                uri: "/v1/check", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(data: body))
            #expect(response.status == .ok)
            return ((try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])?["results"] as? [[String: Any]]) ?? []
        }

        let fromCLI = (cliResults + fileResults).map(Self.normalised)
        let fromAPI = apiResults.map(Self.normalised)
        #expect(fromCLI.count == items.count)
        #expect(fromAPI.count == items.count)
        for (index, (cli, api)) in zip(fromCLI, fromAPI).enumerated() {
            #expect(cli == api, "input \(index): \(items[index])")
        }

        // What the answers are, for a few that were once told two ways.
        let byInput = Dictionary(fromAPI.map { ($0["input"]!, $0) }, uniquingKeysWith: { first, _ in first })
        #expect(byInput["ubuntu"]?["verdict"] == "unpinned")
        #expect(byInput["ubuntu"]?["reference"] == "docker.io/library/ubuntu:latest")
        #expect(byInput["debian:bookworm-slim"]?["current_digest"] == Fixtures.bookwormSlimIndex)
        #expect(byInput["Foo/bar:1"]?["reference"] == "Foo/bar:1")
        #expect(byInput[Fixtures.bookwormSlimEarlierIndex]?["verdict"] == "expired")
        #expect(byInput["Not A Reference"]?["verdict"] == "invalid")
        #expect(byInput[Fixtures.unknownDigest]?["verdict"] == "unknown")
        #expect(byInput[Fixtures.bookwormSlimIndex]?["passes"] == "1")
    }
}
