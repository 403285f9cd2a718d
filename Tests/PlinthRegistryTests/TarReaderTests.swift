import Foundation
import PlinthTestSupport
import Testing

@testable import PlinthRegistry

/// The tar reader against archives Python's tarfile writes in each format.
@Suite("Tar reader")
struct TarReaderTests {
    /// A tar archive from Python's tarfile with the given format, holding `files`.
    static func archive(format: String, files: [String: String]) async throws -> [UInt8] {
        let script = """
            import io, sys, tarfile, json
            files = json.loads(sys.argv[1])
            out = io.BytesIO()
            with tarfile.open(fileobj=out, mode="w", format=getattr(tarfile, sys.argv[2])) as tar:
                for name, content in sorted(files.items()):
                    info = tarfile.TarInfo(name)
                    data = content.encode()
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
            sys.stdout.buffer.write(out.getvalue())
            """
        let json = String(decoding: try JSONSerialization.data(withJSONObject: files), as: UTF8.self)
        let (ok, stdout, stderr) = try await TestRegistries.capture("python3", ["-c", script, json, format])
        guard ok else { throw TestRegistries.StartError(description: stderr) }
        return stdout
    }

    @Test(arguments: ["USTAR_FORMAT", "GNU_FORMAT", "PAX_FORMAT"])
    func readsWantedFilesInEveryFormatFedInSmallPieces(format: String) async throws {
        let long = String(repeating: "deep/", count: 30) + "var/lib/dpkg/status"
        var files = ["var/lib/dpkg/status": "Package: a\nVersion: 1\n", "etc/other": "ignored"]
        if format != "USTAR_FORMAT" { files[long] = "long name" }
        let bytes = try await Self.archive(format: format, files: files)
        var reader = TarReader(maxFileBytes: 1 << 20) { $0.hasSuffix("var/lib/dpkg/status") }
        for chunk in stride(from: 0, to: bytes.count, by: 97) { try reader.feed(bytes[chunk..<min(chunk + 97, bytes.count)]) }
        #expect(reader.finished)
        let wanted = reader.entries.filter { $0.data != nil }
        #expect(wanted.first { $0.path == "var/lib/dpkg/status" }?.data == Array("Package: a\nVersion: 1\n".utf8))
        if format != "USTAR_FORMAT" { #expect(wanted.first { $0.path == long }?.data == Array("long name".utf8)) }
        #expect(reader.entries.contains { $0.path == "etc/other" && $0.data == nil })
    }

    @Test func aCorruptHeaderIsAnError() async throws {
        var bytes = try await Self.archive(format: "USTAR_FORMAT", files: ["a": "b"])
        bytes[10] ^= 0xFF
        var reader = TarReader(maxFileBytes: 100) { _ in true }
        #expect(throws: TarReader.Failure.self) { try reader.feed(bytes) }
    }

    @Test func aWantedFileOverTheLimitIsAnError() async throws {
        let bytes = try await Self.archive(format: "USTAR_FORMAT", files: ["var/lib/dpkg/status": String(repeating: "x", count: 2000)])
        var reader = TarReader(maxFileBytes: 1000) { _ in true }
        #expect(throws: TarReader.Failure.self) { try reader.feed(bytes) }
    }
}
