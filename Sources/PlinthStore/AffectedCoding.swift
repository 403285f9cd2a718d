import PlinthCore

/// The parts of an OSV `affected[]` entry that matching reads (`ECOSYSTEM` ranges and the
/// `versions` list), in a compact text form that decodes far faster than JSON: matching an
/// image reads every entry of each of its packages, and 100,000 advisories decoded as JSON
/// took most of the matching time. Fields are separated by ASCII control characters, which
/// no version string contains: U+001E between parts, U+001F between items, and an event is
/// its kind (`i` introduced, `f` fixed, `l` last_affected, `m` limit) then its version.
enum AffectedCoding {
    static let part: Character = "\u{1E}", item: Character = "\u{1F}"

    /// Whether `version` is one of the `listed` versions (as `decode` returns them).
    static func lists(_ listed: Substring, _ version: String) -> Bool {
        let target = Array(version.utf8)
        guard !listed.isEmpty, !target.isEmpty else { return false }
        return listed.utf8.split(separator: 0x1F).contains { $0.elementsEqual(target) }
    }

    static func encode(_ affected: OSVRecord.Affected) -> String {
        var parts = [(affected.versions ?? []).joined(separator: String(item))]
        for range in affected.ranges ?? [] where range.type == "ECOSYSTEM" {
            parts.append(
                range.events.map { event in
                    if let v = event.introduced { return "i" + v }
                    if let v = event.fixed { return "f" + v }
                    if let v = event.last_affected { return "l" + v }
                    return "m" + (event.limit ?? "*")
                }.joined(separator: String(item)))
        }
        return parts.joined(separator: String(part))
    }

    /// The entry's ranges, and its `versions` list still joined (split only when needed: long
    /// lists are common, and splitting every one cost most of the matching time).
    static func decode(_ text: String) -> (affected: OSVRecord.Affected, listed: Substring) {
        // Split on the UTF-8 bytes of the separators: no grapheme breaking for ASCII control marks.
        let utf8 = text.utf8
        let parts = utf8.split(separator: 0x1E, omittingEmptySubsequences: false)
        let listed = parts.first.map { Substring($0) } ?? ""
        let ranges = parts.dropFirst().map { encoded in
            OSVRecord.Range(
                type: "ECOSYSTEM",
                events: encoded.split(separator: 0x1F).map { event in
                    let value = String(Substring(event.dropFirst()))
                    switch event.first {
                    case UInt8(ascii: "i"): return OSVRecord.Event(introduced: value)
                    case UInt8(ascii: "f"): return OSVRecord.Event(fixed: value)
                    case UInt8(ascii: "l"): return OSVRecord.Event(last_affected: value)
                    default: return OSVRecord.Event(limit: value)
                    }
                })
        }
        return (OSVRecord.Affected(package: nil, ranges: ranges, versions: nil), listed)
    }
}
