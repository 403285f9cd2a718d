import Foundation
import PlinthTestSupport
import Testing

@testable import PlinthCore

/// rpm header blobs and the Berkeley DB and NDB files that hold them, read from the real
/// databases (scripts/test-registries/pkgdb/rpm), and fed seeded mutations of them.
@Suite("rpm headers")
struct RPMHeaderTests {
    static let rpmdb = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts/test-registries/pkgdb/rpm")

    static func bytes(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: rpmdb.appendingPathComponent(path))) }

    static func ndbBlobs() throws -> [[UInt8]] { try RPMDatabaseFormats.ndbBlobs(bytes("sle15-bci/Packages.db"), maxBlobs: 1000) }

    @Test func theRealFilesHoldTheirPackages() throws {
        let sle = try Self.ndbBlobs().map { try RPMHeader.package($0) }
        #expect(sle.count == 35)
        let el8 = try RPMDatabaseFormats.berkeleyHashValues(Self.bytes("libuuid-el8/Packages"), maxValues: 1000).map { try RPMHeader.package($0) }
        #expect(el8.map(\.name) == ["libuuid"])
        #expect(el8.first?.source?.name == "util-linux")
    }

    /// Every limit is checked before it is used: a blob shorter than its preamble, one whose
    /// counts ask for more than it holds, one past rpm's limits, one whose strings run off
    /// the end are refused with what is wrong, never read out of bounds.
    @Test func malformedHeadersAreRefusedByName() throws {
        func failure(_ bytes: [UInt8]) -> String? {
            do {
                _ = try RPMHeader.package(bytes)
                return nil
            } catch { return error.description }
        }
        #expect(failure([0, 0, 0]) == "rpm header: 3 bytes, shorter than its 8-byte preamble")
        #expect(failure([0, 1, 0, 0, 0, 0, 0, 0]) == "rpm header: 65536 index entries (rpm allows 1 to 65535)")
        #expect(failure([0, 0, 0, 1, 0x10, 0, 0, 0]) == "rpm header: data store of 268435456 bytes (rpm allows 268435455)")
        #expect(failure([0, 0, 0, 2, 0, 0, 0, 4] + [UInt8](repeating: 0, count: 16)) == "rpm header: 2 entries and 4 data bytes need 44 bytes; the blob has 24")
        // NAME (1000) as a string at offset 0 of a 3-byte store holding "abc" with no NUL.
        let unterminated: [UInt8] = [0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0x03, 0xe8, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0, 1] + Array("abc".utf8)
        #expect(failure(unterminated) == "rpm header: the string of tag 1000 is not terminated within the data store")
        var outside = unterminated
        outside[19] = 9  // offset 9 of a 3-byte store
        #expect(failure(outside) == "rpm header: tag 1000 points at offset 9, outside the 3-byte data store")
    }

    /// 100,000 seeded mutations of the real header blobs (bytes flipped, counts and offsets
    /// set to edge values, truncations), 3,000 of the Berkeley DB file and 300 of the NDB
    /// file: each is read or refused with a Failure; none crashes or reads out of bounds
    /// (the bounds checks trap in this debug build if they fail).
    @Test func seededMutationsAreReadOrRefusedNeverCrash() throws {
        var random = SeededGenerator(seed: 0x5250_4d44)
        let blobs = try Self.ndbBlobs() + RPMDatabaseFormats.berkeleyHashValues(Self.bytes("libuuid-el8/Packages"), maxValues: 10)
        let edges: [UInt32] = [0, 1, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 0xffff, 0x1_0000, 0x0fff_ffff, 16, 15]

        func mutate(_ input: [UInt8]) -> [UInt8] {
            var bytes = input
            for _ in 0..<Int.random(in: 1...6, using: &random) {
                guard !bytes.isEmpty else { break }
                switch Int.random(in: 0..<5, using: &random) {
                case 0: bytes[Int.random(in: 0..<bytes.count, using: &random)] ^= UInt8.random(in: 1...255, using: &random)
                case 1, 2:
                    // A big-endian or little-endian word among the preamble and index (or anywhere).
                    let limit = Int.random(in: 0..<4, using: &random) == 0 ? bytes.count : min(bytes.count, 8 + 16 * 64)
                    guard limit >= 4 else { continue }
                    let at = Int.random(in: 0...(limit - 4), using: &random) & ~3
                    let value = edges.randomElement(using: &random)!
                    for i in 0..<4 { bytes[at + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(i))) }
                case 3: bytes.removeLast(Int.random(in: 0...min(bytes.count, 64), using: &random))
                default: bytes.insert(contentsOf: bytes.prefix(Int.random(in: 0...32, using: &random)), at: Int.random(in: 0...bytes.count, using: &random))
                }
            }
            return bytes
        }

        var read = 0, refused = 0
        for _ in 0..<100_000 {
            do {
                _ = try RPMHeader.package(mutate(blobs.randomElement(using: &random)!))
                read += 1
            } catch { refused += 1 }
        }
        #expect(read + refused == 100_000)
        #expect(read > 0 && refused > 0)

        let bdb = try Self.bytes("libuuid-el8/Packages"), ndb = try Self.bytes("sle15-bci/Packages.db")
        for _ in 0..<3_000 { _ = try? RPMDatabaseFormats.berkeleyHashValues(mutate(bdb), maxValues: 100) }
        for _ in 0..<300 { _ = try? RPMDatabaseFormats.ndbBlobs(mutate(ndb), maxBlobs: 100) }
    }
}
