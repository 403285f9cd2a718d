import Foundation
import Logging
import Synchronization
import PlinthCore
import PlinthRegistry
import PlinthStore
import PlinthTestSupport
import Testing

@testable import PlinthCatalog

/// Sync against real registries (CNCF distribution on 127.0.0.1, see scripts/test-registries.sh).
@Suite("Sync against real registries", .serialized)
struct SyncTests {
    let registries: TestRegistries
    let logger = Logger(label: "test.sync")

    init() async throws {
        registries = try await TestRegistries.shared()
    }

    func client(credentials: Bool = true) -> RegistryClient {
        let credentials: [String: RegistryCredentials] =
            credentials
            ? [registries.basic: .init(username: registries.username, secret: registries.password),
               registries.token: .init(username: registries.username, secret: registries.password)]
            : [:]
        return RegistryClient(credentials: StaticCredentials(credentials))
    }

    /// An entry file for `registry/repository:tag`.
    func entry(_ name: String, _ repository: String, tag: String, platforms: String, policy: String = "automatic") -> String {
        """
        name: \(name)
        title: Fixture \(name)
        repository: \(repository)
        tags: ["\(tag)"]
        status: approved
        os: {family: fixture, version: "1"}
        platforms: [\(platforms)]
        workloads:
          - {workload: general, support: supported}
        owner: tests
        rationale: A fixture image for sync tests.
        approval: {policy: \(policy), grace_days: 7}

        """
    }

    static func sha256(_ data: Data) -> String { Digest.compute(.sha256, of: data).description }

    @Test(arguments: ["anonymous", "basic", "token"])
    func recordsExactlyTheDigestsSkopeoReads(flavour: String) async throws {
        let registry = flavour == "anonymous" ? registries.anonymous : flavour == "basic" ? registries.basic : registries.token
        let database = try await TestDatabase()
        let catalog = database.catalog()
        let kinds = [
            ("oci-index", "linux/amd64, linux/arm64/v8"), ("oci-manifest", "linux/amd64"), ("docker-list", "linux/amd64, linux/arm64/v8"),
            ("docker-manifest", "linux/amd64"),
        ]
        var files: [String: String] = [:]
        for (kind, platforms) in kinds {
            files["\(kind).yaml"] = entry(kind, "\(registry)/fixtures/\(kind)", tag: "v1", platforms: platforms)
        }
        _ = try await catalog.apply(try .directory(try Fixtures.directory(files).path))
        let client = client()
        let outcomes = try await catalog.sync(using: client, logger: logger)
        try await client.shutdown()
        #expect(outcomes.count == 4)
        #expect(outcomes.allSatisfy { !$0.failed }, "\(outcomes)")

        for (kind, _) in kinds {
            let raw = try await registries.rawManifest(registry, "fixtures/\(kind)", "v1")
            let expected = Self.sha256(raw)
            let history = try await database.store.history(of: kind)
            #expect(history.map(\.digest.description) == [expected], "\(kind)")
            let answer = try await catalog.lookup(try Digest(parsing: expected))
            #expect(answer.verdict.verdict == .approved, "\(kind)")
            // Every platform child of an index: recorded with the digest skopeo reads for it.
            if kind.hasSuffix("index") || kind.hasSuffix("list") {
                #expect(answer.platforms.map(\.platform.description).sorted() == ["linux/amd64", "linux/arm64/v8"])
                for child in answer.platforms {
                    let childRaw = try await registries.rawManifest(registry, "fixtures/\(kind)", child.digest.description)
                    #expect(Self.sha256(childRaw) == child.digest.description)
                    #expect(try await catalog.lookup(child.digest).verdict.verdict == .approved)
                    #expect(try await database.store.parents(of: child.digest).map(\.index.description).contains(expected))
                }
            }
        }
        // The exact bytes are kept: the index's stored content hashes to its digest.
        let indexDigest = try await database.store.history(of: "oci-index")[0].digest
        let stored = try await database.store.manifestContent(indexDigest)
        #expect(stored.map { Self.sha256($0) } == indexDigest.description)
    }

    @Test func aMovedTagIsApprovedAndTheOldDigestSupersededUnderAutomaticPolicy() async throws {
        let repository = "fixtures/moving-\(UUID().uuidString.lowercased().prefix(8))"
        try await registries.push("amd64", to: registries.anonymous, repository: repository, tag: "latest")
        let database = try await TestDatabase()
        let catalog = Catalog(store: database.store)  // real clock: grace is measured from now
        let dir = try Fixtures.directory(["moving.yaml": entry("moving", "\(registries.anonymous)/\(repository)", tag: "latest", platforms: "linux/amd64")])
        _ = try await catalog.apply(try .directory(dir.path))
        let client = client()
        _ = try await catalog.sync(using: client, logger: logger)
        let first = try await database.store.history(of: "moving")[0].digest

        try await registries.push("amd64-next", to: registries.anonymous, repository: repository, tag: "latest")
        let outcomes = try await catalog.sync(using: client, logger: logger)
        try await client.shutdown()
        guard case .moved(let to, let from, let approved, let flags) = try #require(outcomes.first).result else {
            Issue.record("expected the tag to move: \(outcomes)")
            return
        }
        #expect(from == first)
        #expect(approved)
        #expect(flags.isEmpty)
        #expect(try await database.store.history(of: "moving").map(\.digest) == [first, to])
        #expect(try await catalog.lookup(to).verdict.verdict == .approved)
        let old = try await catalog.lookup(first)
        #expect(old.verdict.verdict == .superseded)
        #expect(old.verdict.currentDigest == to)
        let graceDays = try #require(old.verdict.graceUntil).timeIntervalSince(try #require(old.verdict.standings.first?.supersededAt)) / 86_400
        #expect(graceDays == 7)
    }

    @Test func aMovedTagIsPendingUnderManualPolicy() async throws {
        let repository = "fixtures/manual-\(UUID().uuidString.lowercased().prefix(8))"
        try await registries.push("amd64", to: registries.anonymous, repository: repository, tag: "latest")
        let database = try await TestDatabase()
        let catalog = Catalog(store: database.store)
        let dir = try Fixtures.directory([
            "manual.yaml": entry("manual", "\(registries.anonymous)/\(repository)", tag: "latest", platforms: "linux/amd64", policy: "manual")
        ])
        _ = try await catalog.apply(try .directory(dir.path))
        let client = client()
        _ = try await catalog.sync(using: client, logger: logger)
        try await registries.push("amd64-next", to: registries.anonymous, repository: repository, tag: "latest")
        _ = try await catalog.sync(using: client, logger: logger)
        try await client.shutdown()
        let digests = try await database.store.history(of: "manual").map(\.digest)
        #expect(digests.count == 2)
        #expect(try await catalog.lookup(digests[1]).verdict.verdict == .pending)
    }

    @Test func aDroppedPlatformIsFlaggedAndNeverAutoApproved() async throws {
        let database = try await TestDatabase()
        let catalog = database.catalog()
        // The entry promises s390x, which the fixture index does not have.
        let dir = try Fixtures.directory([
            "index.yaml": entry("index", "\(registries.anonymous)/fixtures/oci-index", tag: "v1", platforms: "linux/amd64, linux/s390x")
        ])
        _ = try await catalog.apply(try .directory(dir.path))
        let client = client()
        let outcomes = try await catalog.sync(using: client, logger: logger)
        try await client.shutdown()
        guard case .moved(_, _, let approved, let flags) = try #require(outcomes.first).result else {
            Issue.record("expected a first sighting: \(outcomes)")
            return
        }
        #expect(!approved)
        #expect(flags == ["dropped-platform:linux/s390x"])
        #expect(try await database.store.history(of: "index").first?.flags == ["dropped-platform:linux/s390x"])
    }

    @Test func anUnreachableRegistryFailsItsTagsAndLeavesEverythingElseAsItWas() async throws {
        let database = try await TestDatabase()
        let catalog = database.catalog()
        let good = entry("good", "\(registries.anonymous)/fixtures/oci-manifest", tag: "v1", platforms: "linux/amd64")
        _ = try await catalog.apply(try .directory(try Fixtures.directory(["good.yaml": good]).path))
        let client = client()
        _ = try await catalog.sync(using: client, logger: logger)
        let before = try await database.store.history(of: "good")

        // A registry that is down: nothing listens on its port.
        let down = "127.0.0.1:\(try await Self.closedPort())"
        let both = try Fixtures.directory(["good.yaml": good, "down.yaml": entry("down", "\(down)/fixtures/gone", tag: "v1", platforms: "linux/amd64")])
        _ = try await catalog.apply(try .directory(both.path))
        let outcomes = try await catalog.sync(using: client, logger: logger)
        try await client.shutdown()
        let failed = outcomes.filter(\.failed)
        #expect(failed.map(\.image) == ["down"])
        #expect(try await database.store.history(of: "down").isEmpty)
        let after = try await database.store.history(of: "good")
        #expect(after.map(\.digest) == before.map(\.digest))
        #expect(after.map(\.firstSeen) == before.map(\.firstSeen))
        let state = try #require(try await database.store.syncStates(of: "down").first)
        #expect(state.lastError?.contains("cannot reach the registry") == true)
    }

    @Test func aRegistryKilledMidRunFailsTheRemainingTagsAndChangesNothingRecordedBefore() async throws {
        let (address, pid) = try await TestRegistries.startSingle()
        defer { TestRegistries.kill(pid) }
        let tags = (1...5).map { "t\($0)" }
        for tag in tags { try await registries.push("amd64", to: address, repository: "fixtures/killed", tag: tag) }
        let database = try await TestDatabase()
        let catalog = Catalog(store: database.store)  // real clock: the tags that answer are seen later
        var file = entry("killed", "\(address)/fixtures/killed", tag: "t1", platforms: "linux/amd64")
        file = file.replacingOccurrences(of: #"tags: ["t1"]"#, with: "tags: [\(tags.joined(separator: ", "))]")
        _ = try await catalog.apply(try .directory(try Fixtures.directory(["killed.yaml": file]).path))
        var configuration = RegistryConfiguration()
        configuration.maxAttempts = 2
        configuration.initialBackoff = .milliseconds(10)
        configuration.maxBackoff = .milliseconds(20)
        let client = RegistryClient(configuration: configuration)
        let first = try await catalog.sync(using: client, concurrency: 1, logger: logger)
        #expect(first.allSatisfy { !$0.failed }, "\(first)")
        let historyBefore = try await database.store.history(of: "killed")
        let digest = try #require(historyBefore.first?.digest)
        let verdictBefore = try await catalog.lookup(digest).verdict
        let eventsBefore = try await database.store.auditEvents(limit: 100)

        // Second pass, one tag at a time; the registry is killed once two tags are done.
        let done = Mutex(0)
        let second = try await catalog.sync(using: client, concurrency: 1, logger: logger) { _ in
            if done.withLock({ $0 += 1; return $0 }) == 2 { TestRegistries.kill(pid) }
        }
        try await client.shutdown()
        #expect(second.filter(\.failed).map(\.tag) == ["t3", "t4", "t5"])
        #expect(second.filter { !$0.failed }.map(\.result) == [.unchanged(digest), .unchanged(digest)])
        for outcome in second where outcome.failed {
            guard case .failed(let reason) = outcome.result else { continue }
            #expect(reason.contains(address), "\(reason)")
        }
        // What was recorded before the kill is as it was: the same runs, digests and first
        // sightings; the verdict; the audit log.
        let historyAfter = try await database.store.history(of: "killed")
        #expect(historyAfter.map(\.tag) == historyBefore.map(\.tag))
        #expect(historyAfter.map(\.digest) == historyBefore.map(\.digest))
        #expect(historyAfter.map(\.firstSeen) == historyBefore.map(\.firstSeen))
        // Failed tags keep their last good sighting; the two that answered were seen again.
        for (before, after) in zip(historyBefore, historyAfter) {
            #expect(["t1", "t2"].contains(before.tag) ? after.lastSeen > before.lastSeen : after.lastSeen == before.lastSeen, "\(before.tag)")
        }
        let verdictAfter = try await catalog.lookup(digest).verdict
        #expect(verdictAfter.verdict == .approved)
        #expect(verdictAfter.verdict == verdictBefore.verdict)
        #expect(verdictAfter.currentDigest == verdictBefore.currentDigest)
        #expect(verdictAfter.standings.map(\.approval) == verdictBefore.standings.map(\.approval))
        #expect(try await database.store.auditEvents(limit: 100) == eventsBefore)
        let states = try await database.store.syncStates(of: "killed")
        #expect(states.filter { $0.lastError != nil }.map(\.tag) == ["t3", "t4", "t5"])
    }

    @Test func credentialsComeFromADockerCredentialHelper() async throws {
        // A helper as docker-credential-helpers specifies: server URL on stdin, JSON on stdout.
        let directory = try Fixtures.directory([
            "docker-credential-plinthtest": """
            #!/bin/sh
            [ "$1" = get ] || exit 1
            read server
            [ "$server" = "\(registries.basic)" ] || { echo "credentials not found in native keychain"; exit 1; }
            printf '{"ServerURL":"%s","Username":"\(registries.username)","Secret":"\(registries.password)"}' "$server"
            """,
            "config.json": #"{"credHelpers": {"\#(registries.basic)": "plinthtest"}}"#,
        ])
        _ = chmod(directory.appendingPathComponent("docker-credential-plinthtest").path, 0o755)
        let environment = ["DOCKER_CONFIG": directory.path, "PATH": directory.path + ":/usr/bin:/bin"]
        let credentials = try DockerConfigCredentials.load(environment: environment)
        #expect(try await credentials.credentials(for: registries.basic)?.username == registries.username)
        // Another registry: the helper says "not found", which is no credentials, not an error.
        #expect(try await credentials.credentials(for: "127.0.0.1:1") == nil)

        let database = try await TestDatabase()
        let catalog = database.catalog()
        let file = entry("helped", "\(registries.basic)/fixtures/oci-manifest", tag: "v1", platforms: "linux/amd64")
        _ = try await catalog.apply(try .directory(try Fixtures.directory(["helped.yaml": file]).path))
        let client = RegistryClient(credentials: credentials)
        let outcomes = try await catalog.sync(using: client, logger: logger)
        try await client.shutdown()
        let raw = try await registries.rawManifest(registries.basic, "fixtures/oci-manifest", "v1")
        #expect(outcomes.map(\.failed) == [false], "\(outcomes)")
        #expect(try await database.store.history(of: "helped").map(\.digest.description) == [Self.sha256(raw)])
    }

    /// A port on 127.0.0.1 with nothing listening.
    static func closedPort() async throws -> Int {
        let (ok, output) = try await TestRegistries.run(
            "python3", ["-c", "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"])
        guard ok, let port = Int(output.trimmingCharacters(in: .whitespacesAndNewlines)) else { throw TestRegistries.StartError(description: output) }
        return port
    }
}
