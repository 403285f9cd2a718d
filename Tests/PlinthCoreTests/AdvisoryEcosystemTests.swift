import PlinthCore
import Testing

/// Which OSV ecosystems an image's os-release selects: what its advisories are matched under.
@Suite struct AdvisoryEcosystemTests {
    @Test func aRHELMinorReleaseAlsoMatchesTheStreamsThatKeepItAlive() throws {
        let names = try #require(AdvisoryEcosystem(family: "rhel", version: "9.2")).names
        #expect(names.contains("Red Hat:enterprise_linux:9::appstream"))
        #expect(names.contains("Red Hat:rhel_eus:9.2::appstream"))
        #expect(names.contains("Red Hat:rhel_aus:9.2::baseos"))
        // Another minor's streams are not this image's.
        let later = try #require(AdvisoryEcosystem(family: "rhel", version: "9.4")).names
        #expect(!later.contains("Red Hat:rhel_eus:9.2::appstream"))
        #expect(later.contains("Red Hat:rhel_eus:9.4::appstream"))
        // A major alone selects the major's channels only.
        #expect(try #require(AdvisoryEcosystem(family: "ubi", version: "9")).names
            == ["Red Hat:enterprise_linux:9::baseos", "Red Hat:enterprise_linux:9::appstream", "Red Hat:enterprise_linux:9::crb"])
    }

    @Test func aSLESImageMatchesItsProductAndModules() throws {
        let names = try #require(AdvisoryEcosystem(family: "sles", version: "15.5")).names
        #expect(names == [
            "SUSE:Linux Enterprise Server 15 SP5", "SUSE:Linux Enterprise Module for Basesystem 15 SP5",
            "SUSE:Linux Enterprise Module for Server Applications 15 SP5",
        ])
        #expect(try #require(AdvisoryEcosystem(family: "sles", version: "15")).names.first == "SUSE:Linux Enterprise Server 15")
    }

    @Test func distributionsWithoutAFeedSaySo() {
        #expect(AdvisoryEcosystem(family: "amzn", version: "2023") == nil)
        #expect(AdvisoryEcosystem.noFeed(family: "amzn") != nil)
        #expect(AdvisoryEcosystem.noFeed(family: "debian") == nil)
    }
}
