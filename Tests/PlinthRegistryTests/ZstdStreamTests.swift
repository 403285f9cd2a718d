import Foundation
import NIOCore
import PlinthTestSupport
import Testing

@testable import PlinthRegistry

/// The zstd reader against frames the zstd tool writes (Debian's `zstd`), whole and hostile:
/// each bound holds with a clear reason, and good data reads back byte for byte.
@Suite("zstd layers")
struct ZstdStreamTests {
    /// `zstd ARGUMENTS` over what the shell command `source` prints.
    static func compressed(_ source: String, _ arguments: String) async throws -> [UInt8] {
        let (ok, stdout, stderr) = try await TestRegistries.capture("sh", ["-c", "\(source) | zstd -q -c \(arguments)"])
        guard ok else { throw TestRegistries.StartError(description: stderr) }
        return stdout
    }

    /// Everything the stream gives back, fed in pieces of `piece` bytes; the error, if any.
    static func decompress(_ bytes: [UInt8], maxBytes: Int, piece: Int = 4096) -> (output: [UInt8], error: String?) {
        var output: [UInt8] = []
        do {
            let stream = try ZstdStream(maxBytes: maxBytes)
            for start in stride(from: 0, to: bytes.count, by: piece) {
                try stream.feed(ByteBuffer(bytes: bytes[start..<min(start + piece, bytes.count)])) { output += Array(buffer: $0) }
            }
            try stream.finish()
            return (output, nil)
        } catch {
            return (output, "\(error)")
        }
    }

    @Test func framesFromTheToolReadBackExactlyConcatenatedOrNot() async throws {
        let (ok, original, _) = try await TestRegistries.capture("sh", ["-c", "seq 1 200000"])
        #expect(ok)
        let one = try await Self.compressed("seq 1 200000", "-19")
        #expect(one.count < original.count / 3)
        let (output, error) = Self.decompress(one, maxBytes: 10 << 20, piece: 777)
        #expect(error == nil)
        #expect(output == original)
        // Two frames are one stream, as zstd -d reads them.
        let (twice, twiceError) = Self.decompress(one + one, maxBytes: 10 << 20)
        #expect(twiceError == nil)
        #expect(twice == original + original)
    }

    @Test func aLayerThatDecompressesPastTheBoundIsRefused() async throws {
        // 64 MiB of zeros compresses to a few KiB.
        let bomb = try await Self.compressed("head -c 67108864 /dev/zero", "-19")
        #expect(bomb.count < 64 << 10)
        let (output, error) = Self.decompress(bomb, maxBytes: 1 << 20)
        #expect(error == "layer decompresses to more than 1048576 bytes")
        #expect(output.count <= 1 << 20)
    }

    @Test func aFrameAskingForTooLargeAWindowIsRefused() async throws {
        // From a pipe the content size is unknown, so the frame keeps the 2^30 window --long asks for.
        let greedy = try await Self.compressed("head -c 100000 /dev/urandom", "--long=30")
        let (output, error) = Self.decompress(greedy, maxBytes: 1 << 30)
        #expect(output.isEmpty)
        #expect(error?.hasPrefix("zstd data is corrupt (Frame requires too much memory") == true, "\(error ?? "no error")")
    }

    @Test func aTruncatedOrCorruptedFrameIsRefused() async throws {
        let good = try await Self.compressed("seq 1 50000", "-3")
        let (_, cut) = Self.decompress(Array(good.dropLast(9)), maxBytes: 10 << 20)
        #expect(cut == "zstd data ends inside a frame (the layer is truncated)")
        var flipped = good
        flipped[flipped.count / 2] ^= 0xff
        let (_, corrupt) = Self.decompress(flipped, maxBytes: 10 << 20)
        #expect(corrupt?.hasPrefix("zstd data is corrupt (") == true, "\(corrupt ?? "no error")")
        let (_, notZstd) = Self.decompress(Array("not a zstd frame at all".utf8), maxBytes: 10 << 20)
        #expect(notZstd?.hasPrefix("zstd data is corrupt (") == true, "\(notZstd ?? "no error")")
    }
}
