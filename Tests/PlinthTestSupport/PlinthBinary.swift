import Foundation
import Subprocess
import SystemPackage

/// The `plinth` executable built beside the tests (`swift build --build-tests` builds it), or
/// the one `PLINTH_BINARY` names; run as users run it.
public enum PlinthBinary {
    public static var path: String {
        if let path = ProcessInfo.processInfo.environment["PLINTH_BINARY"] { return path }
        return TestRegistries.repositoryRoot.appendingPathComponent(".build/debug/plinth").path
    }

    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs `plinth ARGUMENTS` to the end.
    public static func run(_ arguments: [String], environment: [String: String] = [:], input: String = "") async throws -> Result {
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw TestRegistries.StartError(description: "no plinth executable at \(path): run swift build --build-tests first")
        }
        let result = try await Subprocess.run(
            .path(FilePath(path)), arguments: Arguments(arguments), environment: .inherit.updating(Dictionary(uniqueKeysWithValues: environment.map { (Environment.Key(stringLiteral: $0.key), $0.value) })),
            input: .string(input), output: .string(limit: 16 << 20), error: .string(limit: 1 << 20))
        let status: Int32 =
            switch result.terminationStatus {
            case .exited(let code): code
            case .signaled(let signal): -signal
            }
        return Result(status: status, stdout: result.standardOutput ?? "", stderr: result.standardError ?? "")
    }
}
