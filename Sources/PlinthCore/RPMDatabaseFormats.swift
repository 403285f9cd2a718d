/// The two rpm database files that are not SQLite, read from their bytes: Berkeley DB's
/// hash format (`Packages` of RHEL/UBI 8, CentOS 7, Amazon Linux 2) and rpm's own NDB format
/// (`Packages.db` of SUSE). Both hold one rpm header blob per package. Every page number,
/// offset and length read is checked against the file before it is followed, and overflow
/// chains may not loop.
///
/// The layouts are Berkeley DB's `dbinc/db_page.h` and `hash.h` (as rpm's read-only reader,
/// `lib/backend/bdb_ro.cc`, uses them) and rpm's `lib/backend/ndb/rpmpkg.c`.
public enum RPMDatabaseFormats {
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public var description: String
    }

    // MARK: Berkeley DB hash

    static let hashMagic: UInt32 = 0x0006_1561
    enum PageType: UInt8 {
        case hashUnsorted = 2, overflow = 7, hashMeta = 8, hash = 13
    }
    enum ItemType: UInt8 {
        case keyData = 1, duplicate = 2, offPage = 3, offDuplicate = 4
    }
    static let pageHeaderSize = 26

    /// The values of a Berkeley DB hash database: for rpm's `Packages`, each package's header
    /// blob (key 0, rpm's counter of header numbers, left out).
    public static func berkeleyHashValues(_ file: [UInt8], maxValues: Int) throws(Failure) -> [[UInt8]] {
        guard file.count >= 512 else { throw Failure(description: "Berkeley DB: \(file.count) bytes, too short for a metadata page") }
        // The magic says the byte order of the machine that wrote the file.
        let littleEndian: Bool
        if readUInt32(file, 12, littleEndian: true) == hashMagic {
            littleEndian = true
        } else if readUInt32(file, 12, littleEndian: false) == hashMagic {
            littleEndian = false
        } else {
            throw Failure(description: "Berkeley DB: not a hash database (magic \(readUInt32(file, 12, littleEndian: true)))")
        }
        func u32(_ at: Int) -> UInt32 { readUInt32(file, at, littleEndian: littleEndian) }
        func u16(_ at: Int) -> Int { Int(readUInt16(file, at, littleEndian: littleEndian)) }

        let pageSize = Int(u32(20))
        guard pageSize >= 512, pageSize <= 65536, pageSize & (pageSize - 1) == 0 else {
            throw Failure(description: "Berkeley DB: page size \(pageSize) is not a power of two from 512 to 65536")
        }
        guard file[24] == 0, file[26] & 0x01 == 0 else { throw Failure(description: "Berkeley DB: encrypted or checksummed pages are not read") }
        guard file[25] == PageType.hashMeta.rawValue else { throw Failure(description: "Berkeley DB: page 0 is not a hash metadata page") }
        let pages = file.count / pageSize
        let lastPage = Int(u32(32))
        guard lastPage < pages else {
            throw Failure(description: "Berkeley DB: the metadata names page \(lastPage) as the last; the file holds \(pages)")
        }

        func page(_ number: Int) -> Int { number * pageSize }

        /// An overflow chain's bytes: each page's data starts after its header, and its
        /// `hf_offset` field says how many bytes it holds.
        func overflow(from first: Int, length: Int) throws(Failure) -> [UInt8] {
            var value: [UInt8] = []
            value.reserveCapacity(min(length, file.count))
            var number = first, visited = 0
            while number != 0 {
                guard number <= lastPage, visited <= lastPage else {
                    throw Failure(description: "Berkeley DB: an overflow chain reaches page \(number) (\(visited) pages followed; the file has \(lastPage + 1))")
                }
                let start = page(number)
                guard file[start + 25] == PageType.overflow.rawValue else { throw Failure(description: "Berkeley DB: page \(number) in an overflow chain is not an overflow page") }
                let held = u16(start + 22)
                guard pageHeaderSize + held <= pageSize, value.count + held <= length else {
                    throw Failure(description: "Berkeley DB: overflow page \(number) holds \(held) bytes, more than fit or than the item's \(length)")
                }
                value += file[(start + pageHeaderSize)..<(start + pageHeaderSize + held)]
                number = Int(u32(start + 16))
                visited += 1
            }
            guard value.count == length else { throw Failure(description: "Berkeley DB: an overflow chain holds \(value.count) bytes, not the \(length) its item says") }
            return value
        }

        var values: [[UInt8]] = []
        for number in 1...max(1, lastPage) where number <= lastPage {
            let start = page(number)
            guard let type = PageType(rawValue: file[start + 25]), type == .hash || type == .hashUnsorted else { continue }
            let entries = u16(start + 20)
            guard pageHeaderSize + entries * 2 <= pageSize else { throw Failure(description: "Berkeley DB: page \(number) lists \(entries) entries, more than fit") }
            // The index holds item offsets, key then value; items are packed from the page's end.
            var previous = pageSize
            var items: [(offset: Int, length: Int)] = []
            for i in 0..<entries {
                let offset = u16(start + pageHeaderSize + i * 2)
                guard offset >= pageHeaderSize + entries * 2, offset < previous else {
                    throw Failure(description: "Berkeley DB: item \(i) of page \(number) is at offset \(offset), outside its page's item space")
                }
                items.append((offset, previous - offset))
                previous = offset
            }
            for pair in stride(from: 0, to: items.count - 1, by: 2) {
                let key = items[pair], value = items[pair + 1]
                let keyStart = start + key.offset
                // Key 0 is rpm's counter, not a package.
                if file[keyStart] == ItemType.keyData.rawValue, key.length == 5, u32(keyStart + 1) == 0 { continue }
                let valueStart = start + value.offset
                switch ItemType(rawValue: file[valueStart]) {
                case .keyData:
                    values.append(Array(file[(valueStart + 1)..<(valueStart + value.length)]))
                case .offPage:
                    guard value.length >= 12 else { throw Failure(description: "Berkeley DB: an off-page item of page \(number) is \(value.length) bytes, not 12") }
                    let length = Int(u32(valueStart + 8))
                    guard length <= file.count else { throw Failure(description: "Berkeley DB: an item says it holds \(length) bytes, more than the file") }
                    values.append(try overflow(from: Int(u32(valueStart + 4)), length: length))
                default:
                    throw Failure(description: "Berkeley DB: page \(number) holds an item of type \(file[valueStart]) (rpm's databases hold only key data and off-page items)")
                }
                guard values.count <= maxValues else { throw Failure(description: "Berkeley DB: more than \(maxValues) packages") }
            }
        }
        return values
    }

    // MARK: NDB

    static let ndbPageSize = 4096, ndbBlockSize = 16, ndbSlotSize = 16
    static let ndbHeaderMagic = fourCC("RpmP"), ndbSlotMagic = fourCC("Slot"), ndbBlobMagic = fourCC("BlbS"), ndbBlobEndMagic = fourCC("BlbE")

    /// The package header blobs of an NDB `Packages.db`: slots after the file header, each
    /// naming a package's blocks; each blob framed by a head (magic, package index,
    /// generation, length) and a tail (Adler-32, length, magic), checked.
    public static func ndbBlobs(_ file: [UInt8], maxBlobs: Int) throws(Failure) -> [[UInt8]] {
        func u32(_ at: Int) -> UInt32 { readUInt32(file, at, littleEndian: true) }
        guard file.count >= ndbPageSize, u32(0) == ndbHeaderMagic else { throw Failure(description: "NDB: not an rpm NDB database (no RpmP header)") }
        guard u32(4) == 0 else { throw Failure(description: "NDB: version \(u32(4)) is not read (only version 0)") }
        let slotPages = Int(u32(12))
        guard slotPages >= 1, slotPages * ndbPageSize <= file.count else {
            throw Failure(description: "NDB: \(slotPages) slot pages do not fit the file's \(file.count) bytes")
        }
        let firstBlock = slotPages * ndbPageSize / ndbBlockSize
        var blobs: [[UInt8]] = []
        // The header takes the first two slots' room.
        for slot in stride(from: 2 * ndbSlotSize, to: slotPages * ndbPageSize, by: ndbSlotSize) {
            guard u32(slot) == ndbSlotMagic else { throw Failure(description: "NDB: the slot at byte \(slot) has no Slot magic") }
            let index = u32(slot + 4), offset = Int(u32(slot + 8)), count = Int(u32(slot + 12))
            guard offset != 0 else { continue }  // an empty slot
            guard index != 0, count != 0, offset >= firstBlock, (offset + count) * ndbBlockSize <= file.count else {
                throw Failure(description: "NDB: the slot of package \(index) names blocks \(offset)+\(count), outside the file's blob area")
            }
            let start = offset * ndbBlockSize, end = (offset + count) * ndbBlockSize
            guard u32(start) == ndbBlobMagic, u32(start + 4) == index else {
                throw Failure(description: "NDB: the blob of package \(index) at byte \(start) has no BlbS head for it")
            }
            let length = Int(u32(start + 12))
            guard (16 + length + 12 + ndbBlockSize - 1) / ndbBlockSize == count else {
                throw Failure(description: "NDB: the blob of package \(index) says \(length) bytes, which do not fill its \(count) blocks")
            }
            guard u32(end - 4) == ndbBlobEndMagic, Int(u32(end - 8)) == length else {
                throw Failure(description: "NDB: the blob of package \(index) has no matching BlbE tail")
            }
            guard adler32(file[start..<(end - 12)]) == u32(end - 12) else {
                throw Failure(description: "NDB: the blob of package \(index) fails its Adler-32 checksum")
            }
            blobs.append(Array(file[(start + 16)..<(start + 16 + length)]))
            guard blobs.count <= maxBlobs else { throw Failure(description: "NDB: more than \(maxBlobs) packages") }
        }
        return blobs
    }

    static func adler32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in bytes {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        return b << 16 | a
    }

    static func fourCC(_ text: StaticString) -> UInt32 {
        text.withUTF8Buffer { readUInt32(Array($0), 0, littleEndian: true) }
    }

    static func readUInt32(_ bytes: [UInt8], _ at: Int, littleEndian: Bool) -> UInt32 {
        let value = UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
        return littleEndian ? value : value.byteSwapped
    }

    static func readUInt16(_ bytes: [UInt8], _ at: Int, littleEndian: Bool) -> UInt16 {
        let value = UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
        return littleEndian ? value : value.byteSwapped
    }
}
