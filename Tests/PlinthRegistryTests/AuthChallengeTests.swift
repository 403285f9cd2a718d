import Testing

@testable import PlinthRegistry

@Suite("WWW-Authenticate parsing")
struct AuthChallengeTests {
    @Test func dockerHubBearerChallenge() throws {
        let challenge = try AuthChallenge(
            parsing: #"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/debian:pull""#)
        #expect(challenge.scheme == "bearer")
        #expect(challenge.parameters == ["realm": "https://auth.docker.io/token", "service": "registry.docker.io", "scope": "repository:library/debian:pull"])
    }

    @Test func basicChallengeWithSpacesAndUnquotedValues() throws {
        let challenge = try AuthChallenge(parsing: #"Basic realm="Registry Realm", charset=UTF-8"#)
        #expect(challenge.scheme == "basic")
        #expect(challenge.parameters == ["realm": "Registry Realm", "charset": "UTF-8"])
    }

    @Test func escapedQuotesInValues() throws {
        let challenge = try AuthChallenge(parsing: #"Bearer realm="a\"b",error="insufficient_scope""#)
        #expect(challenge.parameters["realm"] == #"a"b"#)
        #expect(challenge.parameters["error"] == "insufficient_scope")
    }

    @Test(arguments: ["", "   ", #"Bearer realm="unterminated"#, "Bearer realm", "Bea(rer realm=x", #"Bearer ="x""#])
    func malformedHeadersAreErrors(_ header: String) {
        #expect(throws: AuthChallenge.ParseError.self) { try AuthChallenge(parsing: header) }
    }
}
