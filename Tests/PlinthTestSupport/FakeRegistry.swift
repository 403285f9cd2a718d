import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import Subprocess
import Synchronization

/// A controllable registry for the faults a real one will not produce on demand (429 with
/// Retry-After, 5xx, stalls, wrong digests, truncated or oversized bodies, malformed
/// challenges, redirects to another host). Each request is answered by the next scripted
/// `Reply` for its path, or 404; every request is recorded.
public final class FakeRegistry: Sendable {
    public enum Reply: Sendable {
        case manifest(body: [UInt8], mediaType: String, digestHeader: String?, headers: [String: String] = [:])
        case status(Int, headers: [String: String] = [:])
        /// Waits before answering 200 with an empty body.
        case stall(Duration)
        /// Announces `length` bytes and sends fewer, then closes.
        case truncated(body: [UInt8], length: Int)
        case redirect(to: String)
        case blob([UInt8])
    }

    public struct Seen: Sendable {
        public var method: String
        public var path: String
        public var authorization: String?
    }

    let replies = Mutex<[String: [Reply]]>([:])
    let seen = Mutex<[Seen]>([])

    public init() {}

    /// Queues replies for a path, in order; the last one repeats.
    public func script(_ path: String, _ replies: [Reply]) {
        self.replies.withLock { $0[path] = replies }
    }

    public var requests: [Seen] { seen.withLock { $0 } }

    func next(for path: String) -> Reply? {
        replies.withLock { replies in
            guard var queue = replies[path], let first = queue.first else { return nil }
            if queue.count > 1 { queue.removeFirst() }
            replies[path] = queue
            return first
        }
    }

    /// Serves on 127.0.0.1 (or `hostname`) on a free port; `body` runs with the base address
    /// (`host:port`) while the server runs.
    /// With `tls`, it serves HTTPS with that certificate and key (PEM files).
    public func run<T: Sendable>(
        hostname: String = "127.0.0.1", tls: (certificate: String, key: String)? = nil, _ body: @Sendable (String) async throws -> T
    ) async throws -> T {
        let router = Router()
        router.on("/**", method: .get) { request, _ in try await self.answer(request) }
        router.on("/**", method: .head) { request, _ in try await self.answer(request) }
        let port = Mutex<Int?>(nil)
        var logger = Logger(label: "fake-registry")
        logger.logLevel = .critical
        var server: HTTPServerBuilder = .http1()
        if let tls {
            let configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(tls.certificate).map { .certificate($0) }, privateKey: .file(tls.key))
            server = try .tls(.http1(), tlsConfiguration: configuration)
        }
        let app = Application(
            router: router, server: server, configuration: .init(address: .hostname(hostname, port: 0)),
            onServerRunning: { channel in port.withLock { $0 = channel.localAddress?.port } }, logger: logger)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await app.runService(); return nil }
            while port.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(10)) }
            let address = "\(hostname):\(port.withLock { $0 }!)"
            let result = try await body(address)
            group.cancelAll()
            return result
        }
    }

    func answer(_ request: Request) async throws -> Response {
        let path = request.uri.path
        seen.withLock { $0.append(Seen(method: request.method.rawValue, path: path, authorization: request.headers[.authorization])) }
        guard let reply = next(for: path) else { return Response(status: .notFound) }
        switch reply {
        case .manifest(let body, let mediaType, let digest, let extra):
            var headers: HTTPFields = [.contentType: mediaType]
            if let digest { headers[HTTPField.Name("Docker-Content-Digest")!] = digest }
            for (name, value) in extra { headers[HTTPField.Name(name)!] = value }
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
        case .status(let code, let extra):
            var headers = HTTPFields()
            for (name, value) in extra { headers[HTTPField.Name(name)!] = value }
            return Response(status: .init(code: code), headers: headers, body: .init(byteBuffer: ByteBuffer(string: #"{"errors":[{"code":"TEST"}]}"#)))
        case .stall(let duration):
            try await Task.sleep(for: duration)
            return Response(status: .ok)
        case .truncated(let body, let length):
            return Response(
                status: .ok, headers: [.contentType: "application/vnd.oci.image.manifest.v1+json"],
                body: .init(contentLength: length) { writer in
                    try await writer.write(ByteBuffer(bytes: body))
                    throw CancellationError()  // end the connection before the announced length
                })
        case .redirect(let location):
            return Response(status: .temporaryRedirect, headers: [.location: location])
        case .blob(let bytes):
            return Response(status: .ok, headers: [.contentType: "application/octet-stream"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }
}

/// A self-signed certificate for 127.0.0.1 made by openssl, for HTTPS fixtures.
public enum SelfSignedCertificate {
    /// Writes `cert.pem` and `key.pem` (ECDSA P-256, valid one day) into a new folder.
    public static func make() async throws -> (certificate: String, key: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let certificate = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        let result = try await Subprocess.run(
            .name("openssl"),
            arguments: [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", certificate,
                "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            ], output: .discarded, error: .string(limit: 1 << 16))
        guard result.terminationStatus.isSuccess else {
            throw TestRegistries.StartError(description: "openssl could not make a certificate: \(result.standardError)")
        }
        return (certificate, key)
    }
}
