import HTTPTypes
import Hummingbird
import NIOCore
import PlinthCatalog
import PlinthCore
import Synchronization

/// Serves `GET /v1/digests/{digest}` from the bytes the generated handler produced for the
/// same answer, so that the question CI asks thousands of times a day costs a cached
/// lookup and a comparison, not a JSON encoding.
///
/// The catalog's answer is looked up first (itself cached, see `VerdictCache`); when it
/// equals the answer the stored bytes were made from, those bytes are the response. On a
/// miss the generated handler runs and its response is stored. The bytes are therefore
/// always the generated code's own output for that answer: the OpenAPI document stays the
/// source of truth for what is sent.
struct DigestResponseCache<Context: RequestContext>: RouterMiddleware {
    static var prefix: String { "/v1/digests/" }
    static var capacity: Int { 10_000 }
    /// Larger bodies are not stored (the answers are a few KiB).
    static var maxBody: Int { 64 << 10 }

    struct Entry: Sendable {
        var answer: DigestAnswer
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var body: ByteBuffer
    }

    final class Storage: Sendable {
        let entries = Mutex<[Digest: Entry]>([:])
    }

    let catalog: Catalog
    let storage = Storage()

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .get, request.uri.path.hasPrefix(Self.prefix), request.uri.query == nil,
            Self.acceptsJSON(request.headers[.accept]),
            let digest = try? Digest(parsing: String(request.uri.path.dropFirst(Self.prefix.count)))
        else { return try await next(request, context) }

        let answer = try await catalog.lookup(digest)
        if let hit = storage.entries.withLock({ $0[digest] }), hit.answer == answer {
            return Response(status: hit.status, headers: hit.headers, body: .init(byteBuffer: hit.body))
        }
        let response = try await next(request, context)
        let collector = Collector()
        try await response.body.write(collector.writer)
        let body = collector.buffer
        // Store only if the answer did not change while the handler ran.
        if body.readableBytes <= Self.maxBody, try await catalog.lookup(digest) == answer {
            let entry = Entry(answer: answer, status: response.status, headers: response.headers, body: body)
            storage.entries.withLock { entries in
                if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
                entries[digest] = entry
            }
        }
        return Response(status: response.status, headers: response.headers, body: .init(byteBuffer: body))
    }

    /// Only requests the generated handler would answer with JSON take the fast path.
    static func acceptsJSON(_ accept: String?) -> Bool {
        guard let accept else { return true }
        return accept.contains("application/json") || accept.contains("*/*")
    }

    /// Gathers a response body's bytes.
    final class Collector {
        var buffer = ByteBuffer()

        var writer: Writer { Writer(collector: self) }

        struct Writer: ResponseBodyWriter {
            let collector: Collector
            mutating func write(_ buffer: ByteBuffer) async throws {
                var buffer = buffer
                collector.buffer.writeBuffer(&buffer)
            }
            consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
        }
    }
}
