import Foundation
import Testing

@testable import PlinthCore

/// Cases from Docker's reference grammar (distribution/reference: reference_test.go and
/// normalize_test.go), as normalised full names.
@Suite("Image reference parsing")
struct ImageReferenceTests {
    static let digest = "sha256:" + String(repeating: "f", count: 64)

    static let valid: [(String, String)] = [
        ("debian", "docker.io/library/debian:latest"),
        ("debian:bookworm-slim", "docker.io/library/debian:bookworm-slim"),
        ("library/debian", "docker.io/library/debian:latest"),
        ("docker.io/debian", "docker.io/library/debian:latest"),
        ("index.docker.io/debian", "docker.io/library/debian:latest"),
        ("docker.io/library/debian:12", "docker.io/library/debian:12"),
        ("foo/bar", "docker.io/foo/bar:latest"),
        ("test_com", "docker.io/library/test_com:latest"),
        ("test.com:tag", "docker.io/library/test.com:tag"),
        ("test.com:5000", "docker.io/library/test.com:5000"),
        ("test.com/repo:tag", "test.com/repo:tag"),
        ("test:5000/repo", "test:5000/repo:latest"),
        ("test:5000/repo:tag", "test:5000/repo:tag"),
        ("test:5000/repo@" + digest, "test:5000/repo@" + digest),
        ("test:5000/repo:tag@" + digest, "test:5000/repo:tag@" + digest),
        ("localhost/repo", "localhost/repo:latest"),
        ("localhost:5000/repo:v1", "localhost:5000/repo:v1"),
        ("127.0.0.1:5000/a/b/c", "127.0.0.1:5000/a/b/c:latest"),
        ("[::1]:5000/repo", "[::1]:5000/repo:latest"),
        ("[2001:db8::1]/repo", "[2001:db8::1]/repo:latest"),
        ("sub-dom1.foo.com/bar/baz/quux", "sub-dom1.foo.com/bar/baz/quux:latest"),
        ("sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com/bar/baz/quux:some-long-tag"),
        ("b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io/test.example.com/my-app:test.example.com"),
        ("xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com/myimage:xn--n3h.com"),
        ("foo_bar.com:8080", "docker.io/library/foo_bar.com:8080"),
        ("foo/foo_bar.com:8080", "docker.io/foo/foo_bar.com:8080"),
        ("a__b/c---d/e.f", "docker.io/a__b/c---d/e.f:latest"),
        ("lowercase:Uppercase", "docker.io/library/lowercase:Uppercase"),
        ("gcr.io/distroless/static-debian12:nonroot", "gcr.io/distroless/static-debian12:nonroot"),
        ("debian@" + digest, "docker.io/library/debian@" + digest),
    ]

    @Test(arguments: valid)
    func normalises(_ text: String, _ expected: String) throws {
        #expect(try ImageReference(parsing: text).description == expected)
    }

    @Test func splitsRegistryPathTagAndDigest() throws {
        let reference = try ImageReference(parsing: "localhost:5000/team/app:1.2@" + Self.digest)
        #expect(reference.registry == "localhost:5000")
        #expect(reference.path == "team/app")
        #expect(reference.tag == "1.2")
        #expect(reference.digest?.description == Self.digest)
        #expect(reference.repository == "localhost:5000/team/app")
    }

    static let invalid: [(String, ImageReference.ParseError)] = [
        ("", .empty),
        (":justtag", .invalidFormat(":justtag")),
        ("@" + digest, .invalidFormat("@" + digest)),
        ("repo@sha256:ffff", .invalidDigest(.badLength(algorithm: "sha256", expected: 64, got: 4))),
        ("validname@invaliddigest:" + String(repeating: "f", count: 64), .invalidDigest(.unsupportedAlgorithm("invaliddigest"))),
        ("Uppercase:tag", .nameContainsUppercase("library/Uppercase")),
        ("test:5000/Uppercase/lowercase:tag", .nameContainsUppercase("Uppercase/lowercase")),
        ("aa/asdf$$^/aa", .invalidFormat("aa/asdf$$^/aa")),
        ("repo:", .invalidFormat("repo:")),
        ("-repo", .invalidFormat("-repo")),
        ("repo-", .invalidFormat("repo-")),
        ("a/./b", .invalidFormat("a/./b")),
        ("a//b", .invalidFormat("a//b")),
        ("a___b", .invalidFormat("a___b")),
        ("a..b", .invalidFormat("a..b")),
        ("-host.com/repo", .invalidFormat("-host.com/repo")),
        ("host.com:port/repo", .invalidFormat("host.com:port/repo")),
        ("[fe80::1%eth0]:5000/repo", .invalidFormat("[fe80::1%eth0]:5000/repo")),
        ("repo:-tag", .invalidTag("-tag")),
        ("repo:.tag", .invalidTag(".tag")),
        ("repo:" + String(repeating: "t", count: 129), .invalidTag(String(repeating: "t", count: 129))),
        (String(repeating: "f", count: 64), .nameIsDigestHex(String(repeating: "f", count: 64))),
    ]

    @Test(arguments: invalid)
    func rejects(_ text: String, _ expected: ImageReference.ParseError) {
        #expect(throws: expected) { try ImageReference(parsing: text) }
    }

    @Test func rejectsNamesLongerThan255() {
        let long = (0..<128).map { _ in "a" }.joined(separator: "/")  // 255 characters: allowed
        #expect(throws: Never.self) { try ImageReference(parsing: "example.com/" + String(long.dropFirst(12))) }
        #expect(throws: ImageReference.ParseError.nameTooLong(257)) { try ImageReference(parsing: long + "/a") }
    }

    static let mixed: [(String, Bool)] = [
        ("sha256:" + String(repeating: "a", count: 64), true),
        ("sha256:xyz", false),
        ("debian:bookworm-slim", true),
        ("sha256/repo:tag", true),
    ]

    @Test(arguments: mixed)
    func digestOrReference(_ text: String, _ valid: Bool) {
        #expect(((try? DigestOrReference(parsing: text)) != nil) == valid, Comment(rawValue: text))
    }
}

/// Every reference in Docker's own reference-parsing tests (distribution/reference
/// `normalize_test.go` and `reference_test.go`), with what `ParseNormalizedNamed` made of
/// it, as recorded in Fixtures/docker-references.tsv (its header gives the commit).
@Suite("Docker's reference test cases")
struct DockerReferenceCaseTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var input: String
        var source: String
        var valid: Bool
        var domain: String?
        var path: String?
        var tag: String?
        var digest: String?
        var testDescription: String { "\(input.prefix(80)) (\(source))" }
    }

    static let cases: [Case] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/docker-references.tsv")
        let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        var header = true
        return text.split(separator: "\n", omittingEmptySubsequences: true).compactMap { line -> Case? in
            if line.hasPrefix("#") { return nil }
            if header { header = false; return nil }
            let cells = line.split(separator: "\t", omittingEmptySubsequences: false).map { $0 == "-" ? nil : String($0) }
            guard cells.count == 8 else { return nil }
            return Case(input: cells[0] ?? "", source: cells[1] ?? "", valid: cells[2] == "true", domain: cells[3], path: cells[4], tag: cells[5], digest: cells[6])
        }
    }()

    @Test func theTableIsComplete() {
        #expect(Self.cases.count == 192)
        #expect(Self.cases.filter(\.valid).count == 152)
        #expect(Self.cases.filter { !$0.valid }.count == 40)
    }

    @Test(arguments: cases)
    func agreesWithDocker(_ c: Case) {
        let parsed = try? ImageReference(parsing: c.input)
        #expect((parsed != nil) == c.valid, "Docker says \(c.valid ? "valid" : "invalid")")
        guard let parsed, c.valid else { return }
        #expect(parsed.registry == c.domain)
        #expect(parsed.path == c.path)
        // Plinth pulls `latest` when there is neither tag nor digest, as Docker does (TagNameOnly).
        #expect(parsed.tag == c.tag ?? (c.digest == nil ? "latest" : nil))
        #expect(parsed.digest?.description == c.digest)
    }
}
