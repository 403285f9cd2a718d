import Testing

@testable import PlinthCore

@Suite("Digest parsing")
struct DigestTests {
    static let hex64 = String(repeating: "a1", count: 32)
    static let hex128 = String(repeating: "b2", count: 64)

    @Test(arguments: [
        "sha256:" + hex64,
        "sha512:" + hex128,
        "sha256:3783cc01769c7b2b1b83a5c5ad96c815348e28ed7da68e2e3687004faa906251",
    ])
    func acceptsValidDigests(_ text: String) throws {
        let digest = try Digest(parsing: text)
        #expect(digest.description == text)
    }

    static let invalid: [(String, Digest.ParseError)] = [
        ("", .empty),
        ("sha256", .missingAlgorithm("sha256")),
        (hex64, .missingAlgorithm(hex64)),
        ("sha256:xyz", .badLength(algorithm: "sha256", expected: 64, got: 3)),
        ("sha256:" + hex64 + "0", .badLength(algorithm: "sha256", expected: 64, got: 65)),
        ("sha512:" + hex64, .badLength(algorithm: "sha512", expected: 128, got: 64)),
        ("sha256:" + hex64.uppercased(), .notLowercaseHex("sha256:" + hex64.uppercased())),
        ("sha256:" + String(repeating: "g", count: 64), .notLowercaseHex("sha256:" + String(repeating: "g", count: 64))),
        ("md5:d41d8cd98f00b204e9800998ecf8427e", .unsupportedAlgorithm("md5")),
        ("SHA256:" + hex64, .unsupportedAlgorithm("SHA256")),
        (":" + hex64, .unsupportedAlgorithm("")),
    ]

    @Test(arguments: invalid)
    func rejectsInvalidDigests(_ text: String, _ expected: Digest.ParseError) {
        #expect(throws: expected) { try Digest(parsing: text) }
    }

    @Test func sha256OfBytesMatchesKnownValue() {
        // sha256 of the empty string, as `sha256sum </dev/null` prints it.
        #expect(Digest.sha256(of: [UInt8]()).description == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}
