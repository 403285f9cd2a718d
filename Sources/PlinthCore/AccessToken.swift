import Crypto
import Foundation

/// What a token may do. Reads need `reader` (and only when `--auth-reads` is on); curation
/// needs `curator`; the audit log needs `admin`. Each role includes the ones below it.
public enum Role: String, Sendable, Codable, CaseIterable, Comparable {
    case reader, curator, admin

    var level: Int {
        switch self {
        case .reader: 0
        case .curator: 1
        case .admin: 2
        }
    }

    public static func < (a: Role, b: Role) -> Bool { a.level < b.level }
}

/// A bearer token as users hold it: `plinth_<id>_<secret>`. The id (16 hex) finds the token's
/// record; only the SHA-256 of the secret is stored, and it is compared in constant time.
public struct AccessToken: Sendable, Equatable, CustomStringConvertible {
    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case malformed

        public var description: String { "the token is not a Plinth token (expected plinth_<16 hex>_<secret>)" }
    }

    public static let prefix = "plinth_"
    public let id: String
    public let secret: String

    /// A new token: 8 random bytes of id and 32 of secret, from the system's secure generator.
    public static func generate() -> AccessToken {
        var generator = SystemRandomNumberGenerator()
        let id = (0..<8).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        let secretBytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let secret = Data(secretBytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        return AccessToken(id: id, secret: secret)
    }

    init(id: String, secret: String) {
        self.id = id
        self.secret = secret
    }

    public init(parsing text: String) throws(ParseError) {
        guard text.count <= 128, text.hasPrefix(Self.prefix) else { throw .malformed }
        let rest = text.dropFirst(Self.prefix.count)
        guard let separator = rest.firstIndex(of: "_") else { throw .malformed }
        let id = rest[..<separator], secret = rest[rest.index(after: separator)...]
        guard id.count == 16, id.allSatisfy({ $0.isHexDigit && !$0.isUppercase }),
            secret.count >= 32, secret.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        else { throw .malformed }
        self.id = String(id)
        self.secret = String(secret)
    }

    /// The whole token, to show once.
    public var description: String { Self.prefix + id + "_" + secret }

    /// What the store keeps: the SHA-256 of the secret, hex.
    public var secretHash: String { Self.hash(secret) }

    static func hash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Whether this token's secret hashes to `storedHash`, comparing every byte whatever the
    /// first difference (no early exit for a timing side channel to measure).
    public func matches(storedHash: String) -> Bool {
        let a = Array(secretHash.utf8), b = Array(storedHash.utf8)
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
