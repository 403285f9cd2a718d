import Foundation

/// Credentials from the user's Docker `config.json` (`$DOCKER_CONFIG/config.json`, else
/// `~/.docker/config.json`): `auths` entries, and the `docker-credential-*` helpers named by
/// `credHelpers` (per registry) or `credsStore` (default), spoken to as the docker-credential-helpers
/// protocol says: the server URL on stdin of `docker-credential-NAME get`, JSON on stdout.
public struct DockerConfigCredentials: CredentialProvider {
    public struct ConfigError: Error, CustomStringConvertible {
        public var description: String
    }

    struct File: Decodable {
        struct Auth: Decodable {
            var auth: String?
            var username: String?
            var password: String?
            var identitytoken: String?
        }
        var auths: [String: Auth]?
        var credHelpers: [String: String]?
        var credsStore: String?
    }

    let file: File
    let path: String
    /// The environment helpers run with (their `PATH` finds them).
    let environment: [String: String]

    /// Docker Hub's key in `config.json` and for credential helpers.
    static let dockerHubServer = "https://index.docker.io/v1/"

    /// Loads the config; a missing file means no credentials, an unreadable one is an error.
    public static func load(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> DockerConfigCredentials {
        let directory = environment["DOCKER_CONFIG"] ?? (environment["HOME"].map { $0 + "/.docker" } ?? ".docker")
        let path = directory + "/config.json"
        guard let data = FileManager.default.contents(atPath: path) else {
            return DockerConfigCredentials(file: File(), path: path, environment: environment)
        }
        guard data.count <= 1 << 20 else { throw ConfigError(description: "\(path) is larger than 1 MiB") }
        do {
            return DockerConfigCredentials(file: try JSONDecoder().decode(File.self, from: data), path: path, environment: environment)
        } catch {
            throw ConfigError(description: "\(path) is not a valid Docker config: \(error)")
        }
    }

    public func credentials(for registry: String) async throws -> RegistryCredentials? {
        let keys = Self.configKeys(for: registry)
        if let helper = keys.lazy.compactMap({ file.credHelpers?[$0] }).first ?? file.credsStore {
            if let found = try await Self.runHelper(helper, server: keys[0], environment: environment) { return found }
        }
        for key in keys {
            guard let auth = file.auths?[key] else { continue }
            if let encoded = auth.auth, let data = Data(base64Encoded: encoded), let text = String(data: data, encoding: .utf8),
                let colon = text.firstIndex(of: ":")
            {
                return RegistryCredentials(username: String(text[..<colon]), secret: String(text[text.index(after: colon)...]))
            }
            if let username = auth.username, let password = auth.password {
                return RegistryCredentials(username: username, secret: password)
            }
        }
        return nil
    }

    /// The keys a registry may be filed under: Docker Hub under its v1 URL, others by host,
    /// with or without a scheme.
    static func configKeys(for registry: String) -> [String] {
        if registry == "docker.io" || registry == "index.docker.io" || registry == "registry-1.docker.io" {
            return [dockerHubServer, "index.docker.io", "docker.io", "registry-1.docker.io"]
        }
        return [registry, "https://\(registry)", "http://\(registry)", "https://\(registry)/v1/", "https://\(registry)/v2/"]
    }

    struct HelperAnswer: Decodable {
        var Username: String
        var Secret: String
    }

    /// Runs `docker-credential-NAME get`. "credentials not found" is no credentials; any
    /// other failure is an error naming the helper.
    static func runHelper(_ name: String, server: String, environment: [String: String]) async throws -> RegistryCredentials? {
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }) else {
            throw ConfigError(description: "credential helper name '\(name)' is not valid")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["docker-credential-\(name)", "get"]
        process.environment = environment
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        do { try process.run() } catch {
            throw ConfigError(description: "cannot run docker-credential-\(name): \(error)")
        }
        input.fileHandleForWriting.write(Data(server.utf8))
        try? input.fileHandleForWriting.close()
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = String(decoding: stdout + stderr, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if message.lowercased().contains("credentials not found") { return nil }
            throw ConfigError(description: "docker-credential-\(name) failed: \(message.prefix(200))")
        }
        guard stdout.count <= 64 << 10, let answer = try? JSONDecoder().decode(HelperAnswer.self, from: stdout) else {
            throw ConfigError(description: "docker-credential-\(name) answered something that is not credentials")
        }
        return RegistryCredentials(username: answer.Username, secret: answer.Secret)
    }
}

