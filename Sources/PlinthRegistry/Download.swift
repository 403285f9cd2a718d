import AsyncHTTPClient
import Foundation
import Logging
import NIOCore


/// Downloads over HTTP(S) into a file, bounded, following redirects (without credentials:
/// none are sent). For advisory exports (`plinth advisories import --url`).
public enum Download {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Streams `url` into `destination`; returns the bytes written.
    public static func toFile(_ url: URL, destination: URL, maxBytes: Int64, logger: Logger) async throws -> Int64 {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .follow(max: 5, allowCycles: false), timeout: .init(connect: .seconds(10), read: .seconds(60)))
        configuration.decompression = .disabled
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let written = try await fetch(url, into: destination, maxBytes: maxBytes, client: client, logger: logger)
            try await client.shutdown()
            return written
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    static func fetch(_ url: URL, into destination: URL, maxBytes: Int64, client: HTTPClient, logger: Logger) async throws -> Int64 {
        let response = try await client.execute(HTTPClientRequest(url: url.absoluteString), timeout: .hours(1), logger: logger)
        guard response.status == .ok else { throw Failure(description: "\(url): HTTP \(response.status.code)") }
        if let length = response.headers.first(name: "Content-Length").flatMap(Int64.init), length > maxBytes {
            throw Failure(description: "\(url): \(length) bytes is over the \(maxBytes)-byte limit")
        }
        guard FileManager.default.createFile(atPath: destination.path, contents: nil), let handle = try? FileHandle(forWritingTo: destination) else {
            throw Failure(description: "cannot write \(destination.path)")
        }
        defer { try? handle.close() }
        var written: Int64 = 0
        for try await chunk in response.body {
            written += Int64(chunk.readableBytes)
            guard written <= maxBytes else { throw Failure(description: "\(url): more than \(maxBytes) bytes") }
            try handle.write(contentsOf: Data(chunk.readableBytesView))
        }
        return written
    }
}
