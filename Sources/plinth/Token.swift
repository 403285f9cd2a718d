import ArgumentParser
import Foundation
import PlinthCatalog
import PlinthCore
import PlinthStore

/// `plinth token create|list|revoke`: API tokens, in the local database.
struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, list and revoke API tokens.",
        discussion: "Only a hash of each token is stored; `create` prints the token once. Every change is audited.",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Failure: CommandLineFailure {
        var description: String
    }

    /// Who is at the keyboard, for the audit log.
    static var localActor: String { "local:" + (ProcessInfo.processInfo.environment["USER"] ?? "unknown") }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a token and print it (the only time it is shown).")

        @Option(help: "reader, curator or admin.")
        var role: Role

        @Option(help: "A name for the token: who or what holds it (letters, digits, - _ . @).")
        var name: String

        @Option(help: ArgumentHelp("Lifetime: 30d, 12h, or never.", valueName: "duration"))
        var expires = "90d"

        @OptionGroup var store: StoreOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard Self.lifetime(expires) != nil else { throw ValidationError("--expires '\(expires)' is not a lifetime: use e.g. 90d, 12h, or never") }
        }

        /// Seconds, or nil-in-nil for `never`.
        static func lifetime(_ text: String) -> TimeInterval?? {
            if text == "never" { return .some(nil) }
            guard let unit = text.last, let value = Int(text.dropLast()), value > 0, value <= 100_000 else { return nil }
            switch unit {
            case "d": return .some(TimeInterval(value) * 86_400)
            case "h": return .some(TimeInterval(value) * 3_600)
            default: return nil
            }
        }

        func run() async throws {
            let catalog = try await store.catalog()
            let expiry = (Self.lifetime(expires) ?? nil).map { Date().addingTimeInterval($0) }
            let token: AccessToken
            let record: TokenRecord
            do {
                (token, record) = try await catalog.createToken(name: name, role: role, expires: expiry, actor: Token.localActor)
            } catch let error as CurationError {
                throw Failure(description: error.description)
            }
            if output.json {
                let object: [String: Any] = [
                    "name": record.name, "role": record.role.rawValue, "token": token.description,
                    "expires_at": record.expiresAt.map(RFC3339.format) ?? NSNull(),
                ]
                Output.write(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
            } else {
                Output.write(token.description)
                let until = record.expiresAt.map { "expires \(RFC3339.format($0))" } ?? "never expires"
                FileHandle.standardError.write(Data("plinth: token '\(record.name)' (\(record.role.rawValue)) \(until); it is shown only this once\n".utf8))
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (never their secrets).")

        @OptionGroup var store: StoreOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let tokens = try await store.catalog().tokens()
            let now = Date()
            func state(_ t: TokenRecord) -> String {
                if t.revokedAt != nil { return "revoked" }
                if let expires = t.expiresAt, expires <= now { return "expired" }
                return "active"
            }
            if output.json {
                let items = tokens.map { t -> [String: Any] in
                    [
                        "name": t.name, "role": t.role.rawValue, "state": state(t), "created_at": RFC3339.format(t.createdAt), "created_by": t.createdBy,
                        "expires_at": t.expiresAt.map(RFC3339.format) ?? NSNull(), "revoked_at": t.revokedAt.map(RFC3339.format) ?? NSNull(),
                    ]
                }
                Output.write(String(decoding: try JSONSerialization.data(withJSONObject: ["items": items], options: [.sortedKeys]), as: UTF8.self))
                return
            }
            var rows = [["NAME", "ROLE", "STATE", "CREATED", "EXPIRES"]]
            for t in tokens {
                rows.append([t.name, t.role.rawValue, state(t), RFC3339.format(t.createdAt), t.expiresAt.map(RFC3339.format) ?? "never"])
            }
            Output.write(Output.table(rows))
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token by name; it stops working at once.")

        @Argument(help: ArgumentHelp("The token's name.", valueName: "name"))
        var name: String

        @Option(help: "Why, for the audit log.")
        var reason: String?

        @OptionGroup var store: StoreOptions

        func run() async throws {
            do {
                try await store.catalog().revokeToken(name: name, actor: Token.localActor, reason: reason)
            } catch let error as CurationError {
                throw Failure(description: error.description)
            }
            Output.write("revoked token '\(name)'")
        }
    }
}

extension Role: ExpressibleByArgument {}
