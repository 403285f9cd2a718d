import Foundation
import HTTPTypes
import Hummingbird
import Mustache

/// The pages' Mustache templates and static files, embedded in the binary (`pages/`).
/// `{{ }}` HTML-escapes every value, so curated and registry text shows as text.
struct PageRenderer: Sendable {
    let library: MustacheLibrary
    let assets: [String: (type: String, bytes: Data)]

    /// Scripts only from this origin (no inline script), styles too; no frames, no plug-ins.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

    init() throws {
        var library = MustacheLibrary()
        var assets: [String: (type: String, bytes: Data)] = [:]
        for (path, data) in EmbeddedFiles.files {
            if path.hasPrefix("templates/"), path.hasSuffix(".mustache") {
                let name = String(path.dropFirst("templates/".count).dropLast(".mustache".count))
                try library.register(String(decoding: data, as: UTF8.self), named: name)
            } else if path.hasPrefix("static/") {
                let type =
                    path.hasSuffix(".css") ? "text/css; charset=utf-8" : path.hasSuffix(".js") ? "text/javascript; charset=utf-8"
                    : path.hasSuffix(".svg") ? "image/svg+xml" : "application/octet-stream"
                assets[String(path.dropFirst("static/".count))] = (type, data)
            }
        }
        self.library = library
        self.assets = assets
    }

    /// A view without its absent values: Mustache would print an optional wrapped in `Any`
    /// as "nil" instead of skipping it.
    static func compact(_ view: [String: Any?]) -> [String: Any] {
        view.compactMapValues { $0 }
    }

    /// A page: the template rendered with the view, with the pages' security headers.
    func page(_ template: String, _ view: Any, status: HTTPResponse.Status = .ok, contentType: String = "text/html; charset=utf-8") -> Response {
        let html = library.render(view, withTemplate: template) ?? ""
        return Response(status: status, headers: Self.headers(contentType), body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static func headers(_ contentType: String) -> HTTPFields {
        [
            .contentType: contentType, .contentSecurityPolicy: contentSecurityPolicy, HTTPField.Name("X-Content-Type-Options")!: "nosniff",
            HTTPField.Name("Referrer-Policy")!: "same-origin", .cacheControl: "no-store",
        ]
    }
}

extension HTTPField.Name {
    static let contentSecurityPolicy = HTTPField.Name("Content-Security-Policy")!
}
