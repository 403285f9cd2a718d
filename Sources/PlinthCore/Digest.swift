import Crypto
import Foundation

/// A content digest as the OCI image spec defines it (`algorithm ":" encoded`),
/// restricted to the registered algorithms a registry accepts: `sha256` (64 hex)
/// and `sha512` (128 hex), lower case only (image-spec descriptor.md, "Digests").
public struct Digest: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    public enum Algorithm: String, Sendable, CaseIterable, Codable {
        case sha256, sha512

        /// Length of the hex-encoded value.
        public var hexLength: Int {
            switch self {
            case .sha256: 64
            case .sha512: 128
            }
        }
    }

    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case empty
        case missingAlgorithm(String)
        case unsupportedAlgorithm(String)
        case badLength(algorithm: String, expected: Int, got: Int)
        case notLowercaseHex(String)

        public var description: String {
            switch self {
            case .empty: "digest is empty"
            case .missingAlgorithm(let s): "digest '\(s)' has no algorithm: expected 'sha256:<64 hex>'"
            case .unsupportedAlgorithm(let a): "digest algorithm '\(a)' is not supported: use sha256 or sha512"
            case .badLength(let a, let expected, let got):
                "\(a) digest must have \(expected) hex characters, got \(got)"
            case .notLowercaseHex(let s): "digest '\(s)' must be lower-case hexadecimal after the algorithm"
            }
        }
    }

    public let algorithm: Algorithm
    /// The lower-case hex encoding of the hash.
    public let hex: String

    public init(parsing text: String) throws(ParseError) {
        guard !text.isEmpty else { throw .empty }
        guard let colon = text.firstIndex(of: ":") else { throw .missingAlgorithm(text) }
        let name = String(text[..<colon])
        let encoded = text[text.index(after: colon)...]
        guard let algorithm = Algorithm(rawValue: name) else { throw .unsupportedAlgorithm(name) }
        guard encoded.utf8.count == algorithm.hexLength else {
            throw .badLength(algorithm: name, expected: algorithm.hexLength, got: encoded.utf8.count)
        }
        guard encoded.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
            throw .notLowercaseHex(text)
        }
        self.algorithm = algorithm
        self.hex = String(encoded)
    }

    /// The SHA-256 digest of exactly these bytes.
    public static func sha256<Bytes: DataProtocol>(of bytes: Bytes) -> Digest {
        compute(.sha256, of: bytes)
    }

    public var description: String { "\(algorithm.rawValue):\(hex)" }

    public static func < (lhs: Digest, rhs: Digest) -> Bool { lhs.description < rhs.description }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { self = try Digest(parsing: text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension Digest: CodingKeyRepresentable {
    public var codingKey: any CodingKey { Key(stringValue: description) }

    public init?<T: CodingKey>(codingKey: T) {
        guard let digest = try? Digest(parsing: codingKey.stringValue) else { return nil }
        self = digest
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

extension Digest {
    /// The digest of exactly these bytes with `algorithm`.
    public static func compute<Bytes: DataProtocol>(_ algorithm: Algorithm, of bytes: Bytes) -> Digest {
        func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
            digest.map { byte in
                let s = String(byte, radix: 16)
                return s.count == 1 ? "0" + s : s
            }.joined()
        }
        switch algorithm {
        case .sha256: return try! Digest(parsing: "sha256:" + hex(SHA256.hash(data: bytes)))
        case .sha512: return try! Digest(parsing: "sha512:" + hex(SHA512.hash(data: bytes)))
        }
    }
}
