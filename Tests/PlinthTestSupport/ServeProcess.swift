import Foundation

/// A running `plinth serve` on a free port, as users start it, until `stop()`.
public final class ServeProcess: Sendable {
    public let process: Process
    public let port: Int
    /// `http` or `https`.
    public let scheme: String
    /// What curl needs to reach it (the authority to trust, a client certificate).
    public let curlOptions: [String]

    public var url: String { "\(scheme)://127.0.0.1:\(port)" }

    /// Starts `plinth serve --db DB` with `arguments` and waits until `/readyz` answers.
    public init(db: String, arguments: [String] = [], scheme: String = "http", curlOptions: [String] = [], environment: [String: String] = [:])
        async throws
    {
        port = try await Self.freePort()
        self.scheme = scheme
        self.curlOptions = curlOptions
        let process = Process()
        process.executableURL = URL(fileURLWithPath: PlinthBinary.path)
        process.arguments = ["serve", "--port", "\(port)", "--db", db, "--sync-interval", "0", "--log-level", "warning"] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if try await curl(["-o", "/dev/null", "-w", "%{http_code}", "\(url)/readyz"]).output == "200" { return }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        stop()
        throw TestRegistries.StartError(description: "plinth serve \(arguments.joined(separator: " ")) did not become ready on port \(port)")
    }

    /// curl with this server's options and `arguments`: whether it succeeded, and its output.
    public func curl(_ arguments: [String]) async throws -> (ok: Bool, output: String) {
        let (ok, stdout, _) = try await TestRegistries.capture("curl", ["-s", "--max-time", "30"] + curlOptions + arguments)
        return (ok, String(decoding: stdout, as: UTF8.self))
    }

    /// POSTs JSON to `path`; the status and the body.
    public func post(_ path: String, json: Data, headers: [String] = []) async throws -> (status: Int, body: Data) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-body-\(UUID().uuidString).json")
        try json.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let (_, output) = try await curl(
            ["-X", "POST", "-H", "Content-Type: application/json", "--data-binary", "@\(file.path)", "-w", "\n%{http_code}"] + headers.flatMap { ["-H", $0] }
                + ["\(url)\(path)"])
        return Self.split(output)
    }

    public func get(_ path: String, headers: [String] = []) async throws -> (status: Int, body: Data) {
        let (_, output) = try await curl(["-w", "\n%{http_code}"] + headers.flatMap { ["-H", $0] } + ["\(url)\(path)"])
        return Self.split(output)
    }

    static func split(_ output: String) -> (status: Int, body: Data) {
        guard let newline = output.lastIndex(of: "\n") else { return (Int(output) ?? 0, Data()) }
        return (Int(output[output.index(after: newline)...]) ?? 0, Data(output[..<newline].utf8))
    }

    public func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    deinit { stop() }

    /// A port nothing listens on now.
    public static func freePort() async throws -> Int {
        let (ok, output) = try await TestRegistries.run(
            "python3", ["-c", "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"])
        guard ok, let port = Int(output.trimmingCharacters(in: .whitespacesAndNewlines)) else { throw TestRegistries.StartError(description: output) }
        return port
    }
}
