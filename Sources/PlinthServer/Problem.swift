import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

typealias Problem = Components.Schemas.Problem

extension Components.Schemas.Problem {
    /// An RFC 9457 problem whose type is `about:blank`: the status and title say it all.
    static func make(_ status: Int, _ title: String, detail: String? = nil) -> Problem {
        Problem(_type: "about:blank", title: title, status: status, detail: detail)
    }

    static func invalidName(_ name: String) -> Problem {
        make(400, "Invalid image name", detail: "'\(name)' must match [a-z0-9][a-z0-9-]{1,62}")
    }

    /// The problem as a Hummingbird response, for errors raised outside the generated handlers.
    func response(headers: HTTPFields = [:]) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(self)) ?? Data(#"{"status":500,"title":"Internal Server Error","type":"about:blank"}"#.utf8)
        var fields = headers
        fields[.contentType] = "application/problem+json"
        return Response(status: .init(code: status), headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
