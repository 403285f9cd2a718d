import Foundation
import Logging
import PlinthCatalog
import PlinthCore
import PlinthRegistry

extension TestRegistries {
    /// A fixture image of the layout pushed to a repository of its own on the anonymous
    /// registry, tracked by an entry of its own (named after the fixture) in a new test
    /// database, and synced: the database, its catalog, the digest synced, and whether each
    /// tag's sync failed.
    /// `signatures` is the entry's signature policy, as JSON; `beforeSync` runs with the
    /// repository (`registry/path`) and the digest pushed, before the sync.
    public func syncedFixture(
        _ fixture: String, os: (family: String, version: String), signatures: String? = nil, logger: Logger,
        beforeSync: @Sendable (_ repository: String, _ digest: Digest) async throws -> Void = { _, _ in }
    ) async throws -> (
        database: TestDatabase, catalog: Catalog, digest: Digest?, failed: [Bool]
    ) {
        let repository = "fixtures/\(fixture)-\(UUID().uuidString.lowercased().prefix(8))"
        try await push(fixture, to: anonymous, repository: repository, tag: "v1")
        let pushed = RegistryClient()
        let (pushedDigest, _) = try await pushed.resolve(try ImageReference(parsing: "\(anonymous)/\(repository):v1"), logger: logger)
        try await pushed.shutdown()
        try await beforeSync("\(anonymous)/\(repository)", pushedDigest)
        let database = try await TestDatabase()
        let catalog = database.catalog()
        let document = #"""
            {"name":"\#(fixture)","title":"Fixture","repository":"\#(anonymous)/\#(repository)","tags":["v1"],"status":"approved",
             "os":{"family":"\#(os.family)","version":"\#(os.version)"},"platforms":["linux/amd64"],"workloads":[],"owner":"tests",
             "rationale":"A fixture.","approval":{"policy":"automatic","grace_days":7}\#(signatures.map { ",\"signatures\":\($0)" } ?? "")}
            """#
        _ = try await catalog.createImage(document: Data(document.utf8), actor: "setup", reason: nil)
        let client = RegistryClient()
        let outcomes = try await catalog.sync(using: client, logger: logger)
        try await client.shutdown()
        return (database, catalog, try await database.store.history(of: fixture).first?.digest, outcomes.map(\.failed))
    }
}
