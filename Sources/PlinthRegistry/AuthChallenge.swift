/// A `WWW-Authenticate` challenge (RFC 9110 §11.6.1): a scheme and its parameters, as a
/// registry sends them on 401 (distribution-spec "Token Authentication Specification":
/// `Bearer realm="…",service="…",scope="…"`).
public struct AuthChallenge: Hashable, Sendable {
    /// Lower-cased: `bearer`, `basic`.
    public var scheme: String
    /// Parameter names lower-cased, values unquoted.
    public var parameters: [String: String]

    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case empty
        case malformed(String)

        public var description: String {
            switch self {
            case .empty: "WWW-Authenticate header is empty"
            case .malformed(let why): "malformed WWW-Authenticate header: \(why)"
            }
        }
    }

    public init(scheme: String, parameters: [String: String]) {
        self.scheme = scheme
        self.parameters = parameters
    }

    /// Parses the first challenge of a header value.
    public init(parsing header: String) throws(ParseError) {
        var rest = Substring(header).drop { $0 == " " }
        let scheme = rest.prefix { $0 != " " && $0 != "," }
        guard !scheme.isEmpty else { throw .empty }
        guard scheme.allSatisfy({ $0.isLetter || $0.isNumber || "!#$%&'*+-.^_`|~".contains($0) }) else {
            throw .malformed("scheme '\(scheme)' is not a token")
        }
        rest = rest.dropFirst(scheme.count)
        var parameters: [String: String] = [:]
        while true {
            rest = rest.drop { $0 == " " || $0 == "," }
            if rest.isEmpty { break }
            let name = rest.prefix { $0 != "=" && $0 != " " && $0 != "," }
            rest = rest.dropFirst(name.count).drop { $0 == " " }
            guard !name.isEmpty, rest.first == "=" else {
                throw .malformed("expected name=value after '\(scheme)', found '\(String(rest.prefix(20)))'")
            }
            rest = rest.dropFirst().drop { $0 == " " }
            var value = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                var closed = false
                while let c = rest.first {
                    rest = rest.dropFirst()
                    if c == "\\" {
                        guard let escaped = rest.first else { break }
                        value.append(escaped)
                        rest = rest.dropFirst()
                    } else if c == "\"" {
                        closed = true
                        break
                    } else {
                        value.append(c)
                    }
                }
                guard closed else { throw .malformed("unterminated quoted value for '\(name)'") }
            } else {
                let token = rest.prefix { $0 != "," && $0 != " " }
                value = String(token)
                rest = rest.dropFirst(token.count)
            }
            parameters[name.lowercased()] = value
        }
        self.init(scheme: scheme.lowercased(), parameters: parameters)
    }
}
