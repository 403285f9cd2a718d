import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOSSL
import PlinthCatalog
import PlinthCore
import PlinthServer

/// `--server URL` and `--token`: a read verb asks a Plinth server instead of a local database,
/// with the same output and exit codes.
struct ServerOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Ask this Plinth server (http[s]://host[:port]) instead of a local database (env PLINTH_SERVER; --db on the command line wins).",
            valueName: "url"))
    var server: String?

    @Option(help: ArgumentHelp("Bearer token for --server (env PLINTH_TOKEN): needed when it runs with --auth-reads.", valueName: "token"))
    var token: String?

    @Option(
        name: .customLong("server-ca"),
        help: ArgumentHelp("A PEM file of authorities to trust for --server's certificate, besides the system's.", valueName: "file"))
    var serverCA: String?

    var environment: [String: String] { ProcessInfo.processInfo.environment }
    var url: String? { server ?? environment["PLINTH_SERVER"].flatMap { $0.isEmpty ? nil : $0 } }
    var bearer: String? { token ?? environment["PLINTH_TOKEN"].flatMap { $0.isEmpty ? nil : $0 } }

    func validate() throws {
        guard let url else { return }
        guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host?.isEmpty == false, parsed.query == nil else {
            throw ValidationError("--server '\(url)' is not an http:// or https:// URL of a Plinth server")
        }
        if let serverCA, !FileManager.default.isReadableFile(atPath: serverCA) { throw ValidationError("--server-ca '\(serverCA)': cannot read it") }
    }
}

/// Where a read verb reads: the local store, or a Plinth server.
enum ReadSource {
    case local(Catalog)
    case remote(RemoteCatalog)

    /// `--db` given on the command line reads it; else `--server` (or PLINTH_SERVER) asks that
    /// server; else the local store (PLINTH_DB, ./plinth.sqlite).
    static func open(_ store: StoreOptions, _ server: ServerOptions) async throws -> ReadSource {
        if let url = server.url {
            if store.db != nil, server.server != nil { throw ValidationError("--db and --server both name a catalog: give one") }
            if store.db == nil { return .remote(try RemoteCatalog(url: url, token: server.bearer, authorities: server.serverCA)) }
        }
        return .local(try await store.catalog())
    }

    /// Runs `body` on the source, closing it afterwards however `body` ends.
    static func with<T>(_ store: StoreOptions, _ server: ServerOptions, _ body: (ReadSource) async throws -> T) async throws -> T {
        let source = try await open(store, server)
        do {
            let result = try await body(source)
            await source.close()
            return result
        } catch {
            await source.close()
            throw error
        }
    }

    var judge: any GateJudge {
        switch self {
        case .local(let catalog): catalog
        case .remote(let remote): remote
        }
    }

    func close() async {
        if case .remote(let remote) = self { await remote.shutdown() }
    }
}

/// A Plinth server's REST API, as the CLI's read verbs need it: answers decoded into the API's
/// own types (so that they print as the same answers made locally). Bodies are bounded,
/// redirects are not followed (the token goes to the URL given, nowhere else), and the token
/// is never printed.
final class RemoteCatalog: GateJudge, Sendable {
    let base: String
    let token: String?
    let client: HTTPClient
    static let maxBody = 16 << 20
    static let batch = 1000

    struct Failure: CommandLineFailure {
        var description: String
    }

    init(url: String, token: String?, authorities: String?) throws {
        base = url.hasSuffix("/") ? String(url.dropLast()) : url
        self.token = token
        var tls = TLSConfiguration.makeClientConfiguration()
        if let authorities {
            do { tls.additionalTrustRoots = [.certificates(try NIOSSLCertificate.fromPEMFile(authorities))] } catch {
                throw ValidationError("--server-ca '\(authorities)': not a readable PEM certificate (\(error))")
            }
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls, redirectConfiguration: .disallow, timeout: .init(connect: .seconds(10), read: .seconds(120)))
        configuration.decompression = .disabled
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    func shutdown() async { try? await client.shutdown() }

    /// One request: the status and the body (at most `maxBody`).
    func send(_ method: HTTPMethod, _ path: String, json: Data? = nil) async throws -> (status: Int, body: Data) {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json, application/problem+json")
        request.headers.add(name: "User-Agent", value: "plinth/\(PlinthRelease.version)")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: json))
        }
        let response: HTTPClientResponse
        do { response = try await client.execute(request, timeout: .seconds(120)) } catch {
            throw Failure(description: "cannot reach the Plinth server at \(base): \(error)")
        }
        let buffer: ByteBuffer
        do { buffer = try await response.body.collect(upTo: Self.maxBody) } catch {
            throw Failure(description: "the Plinth server at \(base) sent an answer larger than \(Self.maxBody >> 20) MiB")
        }
        return (Int(response.status.code), Data(buffer: buffer))
    }

    /// What a problem+json answer says.
    struct ProblemText: Decodable { var title: String?, detail: String? }

    /// A non-success answer as a one-line failure (the problem's title and detail).
    func failure(_ status: Int, _ body: Data, asking: String) -> Failure {
        let problem = try? JSONDecoder().decode(ProblemText.self, from: body)
        let text = [problem?.title, problem?.detail].compactMap { $0 }.joined(separator: ": ")
        return Failure(description: "the Plinth server at \(base) answered \(status) to \(asking)\(text.isEmpty ? "" : ": \(text)")")
    }

    func judge(_ inputs: [String], policy: GatePolicy) async throws -> [Judgment] {
        var judgments: [Judgment] = []
        var start = 0
        while start < inputs.count {
            let slice = Array(inputs[start..<min(start + Self.batch, inputs.count)])
            judgments += try await check(items: slice, images: [], platform: nil, policy: policy)
            start += Self.batch
        }
        return judgments
    }

    /// `POST /v1/check`, its results read back as judgments.
    func check(items: [String], images: [String], platform: String?, policy: GatePolicy) async throws -> [Judgment] {
        var object: [String: Any] = ["items": items]
        if !images.isEmpty { object["images"] = images }
        if let platform { object["platform"] = platform }
        var rules: [String: Any] = [:]
        if policy.allowUnpinnedTracked { rules["allow_unpinned_tracked"] = true }
        if let grade = policy.minimumGrade { rules["min_grade"] = grade.rawValue }
        if policy.failOnDeprecated { rules["fail_on_deprecated"] = true }
        if policy.failOnRebuildNeeded { rules["fail_on_rebuild"] = true }
        if !rules.isEmpty { object["policy"] = rules }
        let (status, body) = try await send(.POST, "/v1/check", json: try JSONSerialization.data(withJSONObject: object))
        guard status == 200 else { throw failure(status, body, asking: "POST /v1/check") }
        let answer: Components.Schemas.CheckResponse
        do { answer = try APIJSON.decode(Components.Schemas.CheckResponse.self, from: body) } catch {
            throw Failure(description: "the Plinth server at \(base) answered POST /v1/check with what is not a check response: \(error)")
        }
        guard answer.results.count == items.count + images.count else {
            throw Failure(description: "the Plinth server at \(base) answered \(answer.results.count) results for \(items.count + images.count) inputs")
        }
        return try answer.results.map(Self.judgment)
    }

    static func judgment(_ r: Components.Schemas.CheckResult) throws -> Judgment {
        let outcome: Judgment.Outcome
        switch r.verdict.rawValue {
        case "unpinned": outcome = .unpinned
        case "invalid": outcome = .invalid
        default:
            guard let verdict = Verdict(rawValue: r.verdict.rawValue) else { throw Failure(description: "a result with the verdict '\(r.verdict.rawValue)'") }
            outcome = .verdict(verdict)
        }
        return Judgment(
            answering: r.input, reference: try r.reference.map { try ImageReference(parsing: $0) }, digest: try r.digest.map { try Digest(parsing: $0) },
            outcome: outcome, currentDigest: try r.currentDigest.map { try Digest(parsing: $0) }, reason: r.reason, passes: r.passes,
            rebuildNeeded: r.rebuildNeeded, trackedBy: r.trackedBy, image: try r.imageDigest.map { try Digest(parsing: $0) })
    }

    /// A 404's problem detail, which says what is not there as the catalog says it locally.
    struct NotFound: CommandLineFailure {
        var description: String
    }

    /// `GET path`, decoded; a 404 is `NotFound` with the server's words.
    func get<T: Decodable>(_ path: String, as type: T.Type) async throws -> T {
        let (status, body) = try await send(.GET, path)
        if status == 404 { throw NotFound(description: (try? JSONDecoder().decode(ProblemText.self, from: body))?.detail ?? "not found: \(path)") }
        guard status == 200 else { throw failure(status, body, asking: "GET \(path)") }
        do { return try APIJSON.decode(type, from: body) } catch {
            throw Failure(description: "the Plinth server at \(base) answered GET \(path) with what this plinth cannot read: \(error)")
        }
    }

    /// `GET /v1/digests/{digest}`: the answer, or nil when the server has never seen it.
    func digest(_ digest: Digest) async throws -> Components.Schemas.DigestVerdict? {
        let (status, body) = try await send(.GET, "/v1/digests/\(digest)")
        if status == 404 { return nil }
        guard status == 200 else { throw failure(status, body, asking: "GET /v1/digests/\(digest)") }
        do { return try APIJSON.decode(Components.Schemas.DigestVerdict.self, from: body) } catch {
            throw Failure(description: "the Plinth server at \(base) answered GET /v1/digests/\(digest) with what is not a verdict: \(error)")
        }
    }
}
