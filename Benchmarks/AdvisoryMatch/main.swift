import Foundation
import PlinthCatalog
import PlinthCore
import PlinthStore

// Matches N advisories (the real OSV records in a folder, replicated across package names and
// versions) against M images of P packages each, on a fresh SQLite database, and reports the
// matching time and the process's peak memory. Run by benchmarks/advisory-match.sh.
//
// Usage: plinth-advisory-bench RECORDS_DIR [advisories] [images] [packages-per-image]

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: plinth-advisory-bench RECORDS_DIR [advisories] [images] [packages]\n".utf8))
    exit(2)
}
let advisoryCount = arguments.count > 2 ? Int(arguments[2]) ?? 100_000 : 100_000
let imageCount = arguments.count > 3 ? Int(arguments[3]) ?? 50 : 50
let packagesPerImage = arguments.count > 4 ? Int(arguments[4]) ?? 100 : 100
let packageNames = 5_000

func peakMemoryMiB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
        let kib = Double(line.split(whereSeparator: \.isWhitespace)[1])
    else { return -1 }
    return kib / 1024
}

func seconds(since start: ContinuousClock.Instant) -> Double {
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

// The real records' affected entries, to replicate.
let templates = try AdvisorySource.files(at: arguments[1]).compactMap { try? OSVRecord.parse($0.data) }.filter { !($0.affected ?? []).isEmpty }
let directory = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-bench-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: directory) }
let store = try SQLiteStore(path: directory.appendingPathComponent("bench.sqlite").path)
let catalog = Catalog(store: store)

// Every replica is a Debian 12 advisory for one of `packageNames` packages, with the ranges and
// version lists of a real record (versions shifted so that some images are affected).
var writes: [AdvisoryWrite] = []
let encoder = JSONEncoder()
for i in 0..<advisoryCount {
    var record = templates[i % templates.count]
    record.id = "\(record.id)-\(i)"
    var affected = record.affected![0]
    affected.package = .init(ecosystem: "Debian:12", name: "pkg-\(i % packageNames)", purl: nil)
    if i % 3 == 0 { affected.ranges = [.init(type: "ECOSYSTEM", events: [.init(introduced: "0"), .init(fixed: "1.\(i % 50)-1")])] }
    record.affected = [affected]
    let (severity, score) = AdvisorySeverity.of(record)
    writes.append(AdvisoryWrite(record: record, document: String(decoding: try encoder.encode(record), as: UTF8.self), severity: severity, score: score))
}
var start = ContinuousClock.now
let outcome = try await store.importAdvisories(writes)
let importSeconds = seconds(since: start)
writes = []

// Images: `packagesPerImage` packages each, spread over the names, at versions 1.0-1 ... 1.99-1.
var images: [[InstalledPackage]] = []
for image in 0..<imageCount {
    images.append(
        (0..<packagesPerImage).map { p in
            let name = "pkg-\((image * 97 + p * 31) % packageNames)"
            return InstalledPackage(type: "deb", name: name, version: "1.\((image + p) % 100)-1", arch: "amd64", sourceName: nil, sourceVersion: nil)
        })
}

start = ContinuousClock.now
var findings = 0
for packages in images {
    findings += try await catalog.advisories(packages: packages, family: "debian", version: "12", image: nil).findings.count
}
let matchSeconds = seconds(since: start)
print(
    String(
        format: "advisories: %d (imported in %.2fs), images: %d x %d packages, findings: %d\nmatch time: %.3fs, peak RSS: %.0f MiB",
        outcome.added, importSeconds, imageCount, packagesPerImage, findings, matchSeconds, peakMemoryMiB()))
