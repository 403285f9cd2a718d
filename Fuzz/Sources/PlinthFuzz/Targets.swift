import Foundation
import PlinthCatalog
import PlinthCore
import PlinthRegistry

/// The parsers of untrusted input, by the name `FUZZ_TARGET` gives: each takes any bytes and
/// must return or throw its own error, never crash, hang or read out of bounds.
let targets: [String: @Sendable ([UInt8]) -> Void] = [
    "reference": { bytes in _ = try? ImageReference(parsing: String(decoding: bytes, as: UTF8.self)) },
    "digest": { bytes in _ = try? Digest(parsing: String(decoding: bytes, as: UTF8.self)) },
    "dockerfile": { bytes in _ = try? Dockerfile.bases(String(decoding: bytes, as: UTF8.self), buildArgs: ["TAG": "1"]) },
    "catalog-yaml": { bytes in _ = try? CatalogSource.entry(yaml: String(decoding: bytes, as: UTF8.self), file: "fuzz.yaml") },
    "osv": { bytes in _ = try? OSVRecord.parse(Data(bytes)) },
    "manifest": { bytes in
        for type in [MediaType.ociIndex, .ociManifest, .dockerManifestList, .dockerManifest] { _ = try? ManifestDocument.parse(bytes, mediaType: type) }
    },
    "tar": { bytes in _ = try? TarArchive.paths(of: bytes, pieceSize: 700) },
    "dpkg": { bytes in _ = PackageDatabase.dpkgStatus(String(decoding: bytes, as: UTF8.self)) },
    "apk": { bytes in _ = PackageDatabase.apkInstalled(String(decoding: bytes, as: UTF8.self)) },
    "rpm-header": { bytes in _ = try? RPMHeader.package(bytes) },
    "rpm-bdb": { bytes in _ = try? RPMDatabaseFormats.berkeleyHashValues(bytes, maxValues: 1000) },
    "rpm-ndb": { bytes in _ = try? RPMDatabaseFormats.ndbBlobs(bytes, maxBlobs: 1000) },
]

let selected: @Sendable ([UInt8]) -> Void = {
    let name = ProcessInfo.processInfo.environment["FUZZ_TARGET"] ?? ""
    guard let target = targets[name] else {
        FileHandle.standardError.write(Data("FUZZ_TARGET must be one of \(targets.keys.sorted().joined(separator: ", "))\n".utf8))
        exit(2)
    }
    return target
}()

/// One input, as libFuzzer calls it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    selected(size == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

/// libFuzzer's driver (compiler-rt's FuzzerDriver.cpp): runs the fuzzing loop with `argv`'s options.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// SwiftPM links an executable's entry point as its own `main`, so libFuzzer's is not used: this
/// one hands the command line to libFuzzer's driver.
@main
enum PlinthFuzz {
    static func main() {
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzOne(data, size) })
    }
}
