import ArgumentParser
import Foundation
import PlinthCatalog
import PlinthCore
import PlinthStore

/// `plinth approve|revoke|unrevoke DIGEST`: a curator's decisions on the local database,
/// audited as `local:<user>` like the API's are as `token:<name>`.
struct CurationFailure: CommandLineFailure {
    var description: String
}

struct DigestArgument: ParsableArguments {
    @Argument(help: ArgumentHelp("sha256:… digest (an index or a platform manifest).", valueName: "digest"))
    var digest: String

    func parsed() throws -> Digest {
        do { return try Digest(parsing: digest) } catch { throw ValidationError("'\(digest)': \(error.description)") }
    }
}

/// Runs a decision and prints the digest's verdict afterwards.
func decide(_ store: StoreOptions, _ digest: Digest, _ decision: (Catalog) async throws -> Void) async throws {
    let catalog = try await store.catalog()
    do { try await decision(catalog) } catch let error as CurationError { throw CurationFailure(description: error.description) }
    let answer = try await catalog.lookup(digest)
    Output.write("\(digest): \(answer.verdict.verdict.rawValue) — \(Catalog.reason(answer))")
}

struct Approve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Approve a digest a tracked tag pointed at (a curator's decision, audited).")

    @OptionGroup var target: DigestArgument
    @Option(help: "The entry to approve it for, when several have seen it.") var image: String?
    @Option(help: "Why, for the audit log.") var reason: String?
    @OptionGroup var store: StoreOptions

    func run() async throws {
        let digest = try target.parsed()
        try await decide(store, digest) { try await $0.approve(digest, image: image, actor: Token.localActor, reason: reason) }
    }
}

struct Revoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Revoke a digest everywhere it appears (a reason is required; audited).",
        discussion: """
            Revoking a platform manifest revokes every index that lists it; revoking an index \
            revokes its platform manifests, which follow it. `plinth unrevoke` lifts it.
            """)

    @OptionGroup var target: DigestArgument
    @Option(help: "Why (required).") var reason: String
    @OptionGroup var store: StoreOptions

    func run() async throws {
        let digest = try target.parsed()
        try await decide(store, digest) { try await $0.revoke(digest, actor: Token.localActor, reason: reason) }
        // Who is built on it: the images to rebuild.
        let dependents = try await store.catalog().dependents(of: digest)
        if !dependents.isEmpty {
            Output.write("built on it (\(dependents.count)): rebuild them")
            for image in dependents { Output.write("  \(image.reference)  \(image.manifest)") }
        }
    }
}

struct Unrevoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Lift a revocation made by mistake (a reason is required; audited).")

    @OptionGroup var target: DigestArgument
    @Option(help: "Why the revocation is lifted (required).") var reason: String
    @OptionGroup var store: StoreOptions

    func run() async throws {
        let digest = try target.parsed()
        try await decide(store, digest) { try await $0.liftRevocation(of: digest, actor: Token.localActor, reason: reason) }
    }
}
