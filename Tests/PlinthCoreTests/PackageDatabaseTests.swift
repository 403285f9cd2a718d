import Testing

@testable import PlinthCore

@Suite("Package databases")
struct PackageDatabaseTests {
    @Test func osReleaseQuotingAndComments() {
        let text = """
            # comment
            NAME="Debian GNU/Linux"
            ID=debian
            VERSION_ID='12'
            PRETTY_NAME="Debian \\"bookworm\\""
            """
        #expect(PackageDatabase.osRelease(text) == .init(id: "debian", versionID: "12", prettyName: #"Debian "bookworm""#))
        #expect(PackageDatabase.osRelease("NAME=x\n") == nil)
    }

    @Test func dpkgStatusKeepsInstalledPackagesWithTheirSources() {
        let text = """
            Package: libssl3
            Status: install ok installed
            Architecture: amd64
            Source: openssl (3.0.2-0ubuntu1.26)
            Version: 3.0.2-0ubuntu1.26
            Description: a library
             with a continuation line

            Package: git
            Status: deinstall ok config-files
            Version: 1:2.17.1-1ubuntu0.4

            Package: bash
            Status: install ok installed
            Version: 5.2.15-2+b2
            Source: bash (5.2.15-2)
            """
        let packages = PackageDatabase.dpkgStatus(text)
        #expect(packages.map(\.name) == ["libssl3", "bash"])
        #expect(packages[0].sourceName == "openssl")
        #expect(packages[1].sourceVersion == "5.2.15-2")
        #expect(packages[1].version == "5.2.15-2+b2")
        // distroless status.d files have no Status field: all installed.
        #expect(PackageDatabase.dpkgStatus("Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n").map(\.name) == ["base-files"])
    }

    @Test func apkInstalledUsesTheOriginAsSource() {
        let text = "P:libcrypto3\nV:3.0.8-r0\nA:x86_64\no:openssl\n\nP:musl\nV:1.2.3-r2\n"
        let packages = PackageDatabase.apkInstalled(text)
        #expect(packages.map(\.name) == ["libcrypto3", "musl"])
        #expect(packages[0].sourceName == "openssl")
        #expect(packages[1].sourceName == "musl")
    }
}
