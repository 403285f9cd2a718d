// swift-tools-version: 6.2
// libFuzzer targets for Plinth's parsers of untrusted input. Built apart from the main package
// (its own build folder), with the fuzzer's instrumentation and AddressSanitizer:
//   scripts/fuzz.sh [SECONDS] [TARGET...]
// One binary; FUZZ_TARGET names the parser each run feeds.
import PackageDescription

let package = Package(
    name: "plinth-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "plinth", path: "..")],
    targets: [
        .executableTarget(
            name: "PlinthFuzz",
            dependencies: [
                .product(name: "PlinthCore", package: "plinth"), .product(name: "PlinthCatalog", package: "plinth"),
                .product(name: "PlinthRegistry", package: "plinth"),
            ],
            swiftSettings: [.unsafeFlags(["-sanitize=fuzzer,address"])],
            linkerSettings: [.unsafeFlags(["-sanitize=fuzzer,address"])]
        )
    ]
)
