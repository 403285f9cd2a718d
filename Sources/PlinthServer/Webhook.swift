public import Foundation
import Yams

/// A receiver of audit events: where, which actions, and the secret that signs each body.
public struct Webhook: Sendable, Hashable {
    public var name: String
    public var url: URL
    /// Actions delivered (`digest.approve`, ...); empty means every action.
    public var events: Set<String>
    public var secret: String

    public init(name: String, url: URL, events: Set<String> = [], secret: String) {
        self.name = name
        self.url = url
        self.events = events
        self.secret = secret
    }

    public func wants(_ action: String) -> Bool { events.isEmpty || events.contains(action) }

    public struct ConfigurationError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Reads a webhooks file:
    /// ```yaml
    /// webhooks:
    ///   - name: chat                        # [a-z0-9-], unique
    ///     url: https://hooks.example/plinth
    ///     events: [digest.approve, digest.revoke]   # optional: every action when absent
    ///     secret_env: PLINTH_WEBHOOK_SECRET   # the environment variable holding the secret
    /// ```
    public static func load(_ text: String, file: String, environment: [String: String]) throws -> [Webhook] {
        struct File: Decodable {
            struct Item: Decodable {
                var name: String
                var url: String
                var events: [String]?
                var secret_env: String
            }
            var webhooks: [Item]
        }
        let parsed: File
        do { parsed = try YAMLDecoder().decode(File.self, from: text) } catch {
            throw ConfigurationError(description: "\(file): not a webhooks file: \(error)")
        }
        var names: Set<String> = []
        return try parsed.webhooks.map { item in
            guard !item.name.isEmpty, item.name.count <= 63, item.name.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "-" }) else {
                throw ConfigurationError(description: "\(file): webhook name '\(item.name)' must be 1 to 63 of a-z, 0-9 and '-'")
            }
            guard names.insert(item.name).inserted else { throw ConfigurationError(description: "\(file): webhook '\(item.name)' is defined twice") }
            guard let url = URL(string: item.url), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw ConfigurationError(description: "\(file): webhook '\(item.name)': url '\(item.url)' is not an http(s) URL")
            }
            guard let secret = environment[item.secret_env], secret.count >= 16 else {
                throw ConfigurationError(
                    description: "\(file): webhook '\(item.name)': environment variable \(item.secret_env) must hold the secret (16 characters or more)")
            }
            return Webhook(name: item.name, url: url, events: Set(item.events ?? []), secret: secret)
        }
    }
}
