import Testing

@testable import PlinthCore

@Suite("Platform parsing")
struct PlatformTests {
    @Test(arguments: [
        ("linux/amd64", "linux/amd64"),
        ("linux/x86_64", "linux/amd64"),
        ("linux/arm64", "linux/arm64/v8"),
        ("linux/aarch64", "linux/arm64/v8"),
        ("linux/arm64/v8", "linux/arm64/v8"),
        ("linux/arm", "linux/arm/v7"),
        ("linux/arm/v6", "linux/arm/v6"),
        ("linux/armhf", "linux/arm/v7"),
        ("linux/386", "linux/386"),
        ("linux/s390x", "linux/s390x"),
        ("Linux/AMD64", "linux/amd64"),
        ("unknown/unknown", "unknown/unknown"),
    ])
    func normalises(_ text: String, _ expected: String) throws {
        #expect(try Platform(parsing: text).description == expected)
    }

    @Test(arguments: ["", "linux", "linux/", "/amd64", "linux/amd64/v1/x", "linux/am d64", "linux//v8"])
    func rejects(_ text: String) {
        #expect(throws: Platform.ParseError.self) { try Platform(parsing: text) }
    }

    @Test func attestationsAreNotPlatforms() throws {
        #expect(try Platform(parsing: "unknown/unknown").isAttestation)
        #expect(try !Platform(parsing: "linux/amd64").isAttestation)
    }
}
