import Foundation
import PlinthCore
import PlinthStore
import Testing

@testable import PlinthCatalog

/// Which rpm advisory entries apply to packages of module streams, with entries shaped as the
/// feeds publish them: AlmaLinux's `ALSA-2023:1583` (nodejs:18, `.module_el8…` fix) and
/// Red Hat's `RHSA-2024:6220` (python39:3.9, `.module+el8…` fix).
@Suite("Modular matching")
struct ModularMatchTests {
    func entry(fixed: String, summary: String?) -> StoredAffected {
        StoredAffected(
            advisoryID: "ALSA-2023:1583", severity: .high, score: nil, published: nil, summary: summary, ecosystem: "AlmaLinux:8", package: "nodejs",
            affected: OSVRecord.Affected(
                package: .init(ecosystem: "AlmaLinux:8", name: "nodejs"),
                ranges: [.init(type: "ECOSYSTEM", events: [.init(introduced: "0"), .init(fixed: fixed)])], versions: nil))
    }

    @Test func aModuleBuildsEntryAppliesOnlyToItsStream() {
        let modular = entry(fixed: "1:18.14.2-2.module_el8.7.0+3497+c65299e7", summary: "Important: nodejs:18 security, bug fix, and enhancement update")
        #expect(ModularMatch.applies(modular, toModule: "nodejs:18:8070020230306170042:ad008a3a"))
        #expect(!ModularMatch.applies(modular, toModule: "nodejs:16:8070020230306170042:ad008a3a"))
        #expect(!ModularMatch.applies(modular, toModule: nil), "a package of no module is not fixed by a module build")
        // A summary that names no stream leaves the module build's entry to every stream of it.
        #expect(ModularMatch.applies(entry(fixed: "0:3.9.7-2.module+el8.6.0+20026+579726f4.2", summary: "python39 update"), toModule: "python39:3.9:1:c"))
    }

    @Test func anEntryForNoModuleAppliesOnlyToPackagesOfNone() {
        let plain = entry(fixed: "1:18.14.2-2.el8_7", summary: "nodejs security update")
        #expect(ModularMatch.applies(plain, toModule: nil))
        #expect(!ModularMatch.applies(plain, toModule: "nodejs:18:8070020230306170042:ad008a3a"))
    }

    @Test func streamsAreReadFromTheSummary() {
        #expect(ModularMatch.streams(of: "nodejs", in: "Moderate: nodejs:18 and nodejs:20 security update") == ["18", "20"])
        #expect(ModularMatch.streams(of: "ruby", in: "Important: ruby:3.1 security update.") == ["3.1"])
        #expect(ModularMatch.streams(of: "js", in: "nodejs:18 security update").isEmpty, "a longer module's name is not this one's")
    }
}
