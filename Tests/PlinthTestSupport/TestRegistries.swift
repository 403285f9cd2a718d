import Foundation
import Glibc
import Subprocess
import SystemPackage

/// The real registries of `scripts/test-registries.sh` (CNCF distribution on 127.0.0.1:
/// anonymous, basic auth, token auth, each holding the fixture images). Started once per test
/// process, unless the environment already names them (PLINTH_TEST_REGISTRY_*); they stop by
/// themselves when the test process exits.
public struct TestRegistries: Sendable {
    public var anonymous: String
    public var basic: String
    public var token: String
    public var username: String
    public var password: String
    /// The OCI layout the fixtures were pushed from.
    public var fixtures: String

    public struct StartError: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    /// The registries, started on first use.
    public static func shared() async throws -> TestRegistries { try await starter.registries() }

    static let starter = Starter()

    actor Starter {
        var task: Task<TestRegistries, any Error>?

        func registries() async throws -> TestRegistries {
            if let task { return try await task.value }
            let task = Task { try await TestRegistries.start() }
            self.task = task
            return try await task.value
        }
    }

    static func start() async throws -> TestRegistries {
        var environment = ProcessInfo.processInfo.environment
        if environment["PLINTH_TEST_REGISTRY_ANON"] == nil {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-registries-\(UUID().uuidString)").path
            let script = repositoryRoot.appendingPathComponent("scripts/test-registries.sh").path
            let (status, output) = try await run(script, ["start", directory, "--owner", String(ProcessInfo.processInfo.processIdentifier)])
            guard status, let text = try? String(contentsOfFile: directory + "/env", encoding: .utf8) else {
                throw StartError(description: "scripts/test-registries.sh failed: \(output)")
            }
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
                if parts.count == 2 { environment[parts[0]] = parts[1] }
            }
        }
        guard let anonymous = environment["PLINTH_TEST_REGISTRY_ANON"], let basic = environment["PLINTH_TEST_REGISTRY_BASIC"],
            let token = environment["PLINTH_TEST_REGISTRY_TOKEN"], let username = environment["PLINTH_TEST_REGISTRY_USER"],
            let password = environment["PLINTH_TEST_REGISTRY_PASSWORD"], let fixtures = environment["PLINTH_TEST_FIXTURES"]
        else { throw StartError(description: "the test registries' environment is incomplete") }
        return TestRegistries(anonymous: anonymous, basic: basic, token: token, username: username, password: password, fixtures: fixtures)
    }

    /// The package root, from this file's place in it.
    public static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// Runs a tool to the end (swift-subprocess): whether it succeeded, and its stdout and stderr.
    public static func capture(_ executable: String, _ arguments: [String]) async throws -> (Bool, [UInt8], String) {
        let result = try await Subprocess.run(
            executable.contains("/") ? .path(FilePath(executable)) : .name(executable), arguments: Arguments(arguments), output: .bytes(limit: 16 << 20), error: .string(limit: 1 << 20))
        return (result.terminationStatus.isSuccess, result.standardOutput, result.standardError)
    }

    /// Runs a tool to the end: whether it succeeded, and what it printed.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String]) async throws -> (Bool, String) {
        let (ok, stdout, stderr) = try await capture(executable, arguments)
        return (ok, String(decoding: stdout, as: UTF8.self) + stderr)
    }

    /// `skopeo copy` of a tag of the fixture layout to `registry/repository:tag`.
    public func push(_ source: String, to registry: String, repository: String, tag: String, format: String? = nil, all: Bool = false) async throws {
        var arguments = ["copy", "--quiet", "--dest-tls-verify=false"]
        if registry == basic || registry == token { arguments += ["--dest-creds", "\(username):\(password)"] }
        if let format { arguments += ["--format", format] } else { arguments.append("--preserve-digests") }
        if all { arguments.append("--all") }
        arguments += ["oci:\(fixtures):\(source)", "docker://\(registry)/\(repository):\(tag)"]
        let (ok, output) = try await Self.run("skopeo", arguments)
        guard ok else { throw StartError(description: "skopeo copy failed: \(output)") }
    }

    /// One more anonymous registry, empty, of its own, for a test that kills it: its address and process id.
    public static func startSingle() async throws -> (address: String, pid: Int32) {
        let (address, pid, _) = try await startSingle(accessLog: false)
        return (address, pid)
    }

    /// One more anonymous registry, empty; with `accessLog`, every request it answers is a line
    /// of the file at `log` (Apache's combined format: `"HEAD /v2/…/manifests/TAG HTTP/1.1" 200`).
    public static func startSingle(accessLog: Bool) async throws -> (address: String, pid: Int32, log: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-registry-\(UUID().uuidString)").path
        let (ok, output) = try await run(
            repositoryRoot.appendingPathComponent("scripts/test-registries.sh").path, ["single", directory] + (accessLog ? ["--access-log"] : []))
        let parts = output.split(whereSeparator: \.isWhitespace)
        guard ok, parts.count == 2, let pid = Int32(parts[1]) else { throw StartError(description: "scripts/test-registries.sh single failed: \(output)") }
        return (String(parts[0]), pid, directory + "/single/log")
    }

    /// One more anonymous registry, empty, whose notifications (CNCF distribution's
    /// `notifications.endpoints`) go to `url` with `Authorization: Bearer <token>`.
    public static func startNotifying(_ url: String, token: String) async throws -> (address: String, pid: Int32) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-registry-\(UUID().uuidString)").path
        let (ok, output) = try await run(
            repositoryRoot.appendingPathComponent("scripts/test-registries.sh").path, ["single", directory, "--notify", url, token])
        let parts = output.split(whereSeparator: \.isWhitespace)
        guard ok, parts.count == 2, let pid = Int32(parts[1]) else { throw StartError(description: "scripts/test-registries.sh single failed: \(output)") }
        return (String(parts[0]), pid)
    }

    /// Kills a process with SIGKILL and waits until it has exited (its sockets are closed then).
    public static func kill(_ pid: Int32) {
        _ = Glibc.kill(pid, SIGKILL)
        for _ in 0..<500 {
            // Gone, or a zombie: either way it no longer listens.
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return }
            if let close = stat.lastIndex(of: ")"), stat[close...].dropFirst(2).first == "Z" { return }
            usleep(10_000)
        }
    }

    /// The raw manifest skopeo reads for a reference (`skopeo inspect --raw`).
    public func rawManifest(_ registry: String, _ repository: String, _ reference: String) async throws -> Data {
        var arguments = ["inspect", "--raw", "--tls-verify=false"]
        if registry != anonymous { arguments += ["--creds", "\(username):\(password)"] }
        let separator = reference.hasPrefix("sha256:") ? "@" : ":"
        arguments.append("docker://\(registry)/\(repository)\(separator)\(reference)")
        let (ok, stdout, stderr) = try await Self.capture("skopeo", arguments)
        guard ok else { throw StartError(description: "skopeo inspect failed: \(stderr)") }
        return Data(stdout)
    }
}
