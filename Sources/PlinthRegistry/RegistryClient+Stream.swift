import AsyncHTTPClient
import CompressNIO
import struct Crypto.SHA256
import struct Crypto.SHA512
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PlinthCore

extension RegistryClient {
    /// Streams a blob to `consume` as it arrives, at most `maxBytes`, hashing it on the way:
    /// the digest is checked when the body ends, and a mismatch throws, so a caller that only
    /// keeps what it parsed until this returns never keeps anything from a wrong blob.
    /// Authenticates like `send` and follows redirects by hand (no `Authorization` to another host).
    public func streamBlob(
        registry: String, path: String, digest: Digest, maxBytes: Int, logger: Logger, consume: (ByteBuffer) throws -> Void
    ) async throws {
        let scope = "repository:\(path):pull"
        var authorization = try await cachedAuthorization(registry: registry, scope: scope)
        let url = baseURL(registry) + "/v2/\(path)/blobs/\(digest)"
        var authenticated = false
        while true {
            let current = authorization
            let response = try await limit(for: registry).run {
                try await self.response(.GET, url: url, registry: registry, accept: [], authorization: current, deadline: .now() + .seconds(600))
            }
            let status = Int(response.status.code)
            if status == 401, !authenticated {
                authenticated = true
                _ = try? await response.body.collect(upTo: 64 << 10)
                authorization = try await authenticate(registry: registry, scope: scope, challenge: response.headers.first(name: "WWW-Authenticate"), logger: logger)
                continue
            }
            guard (200..<300).contains(status) else {
                let body = (try? await response.body.collect(upTo: 64 << 10)) ?? ByteBuffer()
                throw RegistryError(status == 404 ? .notFound : .status, registry: registry, status: status, codes: Self.errorCodes(body), message: "blob \(digest) of \(path)")
            }
            if let length = response.headers.first(name: "Content-Length").flatMap(Int.init), length > maxBytes {
                throw RegistryError(.tooLarge, registry: registry, status: status, message: "blob \(digest) is \(length) bytes, over the \(maxBytes)-byte limit")
            }
            var hasher = Hasher256(algorithm: digest.algorithm)
            var received = 0
            do {
                for try await chunk in response.body {
                    received += chunk.readableBytes
                    guard received <= maxBytes else {
                        throw RegistryError(.tooLarge, registry: registry, status: status, message: "blob \(digest) is over the \(maxBytes)-byte limit")
                    }
                    hasher.update(chunk)
                    try consume(chunk)
                }
            } catch let error as RegistryError {
                throw error
            } catch let error as HTTPClientError {
                throw Self.transportError(error, registry: registry, whileReading: true)
            }
            let computed = hasher.finalize()
            guard computed == digest else {
                throw RegistryError(.digestMismatch, registry: registry, message: "blob \(digest) of \(path) hashes to \(computed)")
            }
            return
        }
    }
}

/// SHA-256 or SHA-512, fed as bytes arrive.
struct Hasher256 {
    var sha256 = SHA256()
    var sha512 = SHA512()
    let algorithm: Digest.Algorithm

    init(algorithm: Digest.Algorithm) { self.algorithm = algorithm }

    mutating func update(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { bytes in
            if algorithm == .sha256 { sha256.update(bufferPointer: bytes) } else { sha512.update(bufferPointer: bytes) }
        }
    }

    func finalize() -> Digest {
        let hex = algorithm == .sha256 ? sha256.finalize().map { String(format: "%02x", $0) }.joined() : sha512.finalize().map { String(format: "%02x", $0) }.joined()
        return try! Digest(parsing: "\(algorithm.rawValue):\(hex)")
    }
}

/// gzip decompression fed in pieces (every member of a multi-member stream), bounded.
struct GzipStream {
    let decompressor: ZlibDecompressor
    var window = ByteBufferAllocator().buffer(capacity: 256 << 10)
    var total = 0
    let maxBytes: Int
    var ended = false

    init(maxBytes: Int) throws {
        decompressor = try ZlibDecompressor(algorithm: .gzip)
        self.maxBytes = maxBytes
    }

    mutating func feed(_ chunk: ByteBuffer, _ process: (ByteBuffer) throws -> Void) throws {
        var input = chunk
        while input.readableBytes > 0 {
            let before = input.readableBytes
            do {
                try decompressor.inflate(from: &input, to: &window)
            } catch let error as CompressNIOError where error == .bufferOverflow || error == .inputBufferOverflow {
                // Window full, or this piece used up: hand on what there is.
            } catch {
                throw TarReader.Failure(description: "gzip data is corrupt (\(error))")
            }
            if window.readableBytes > 0 {
                total += window.readableBytes
                guard total <= maxBytes else { throw TarReader.Failure(description: "layer decompresses to more than \(maxBytes) bytes") }
                try process(window)
                window.clear()
            } else if input.readableBytes == before {
                // A member ended with input left: start the next member (or stop at trailing bytes).
                try decompressor.reset()
                let again = input.readableBytes
                try? decompressor.inflate(from: &input, to: &window)
                if input.readableBytes == again && window.readableBytes == 0 { return }
            }
        }
    }
}
