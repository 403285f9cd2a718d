import Foundation

/// The images of `scripts/test-registries/real-images.sh` (an mmdebstrap minbase, the same with
/// bash, dash and apt purged in a later layer, a static binary on scratch), built once per
/// machine into a folder of the temporary directory, with each final root filesystem unpacked
/// by umoci beside the OCI layout.
public enum RealImages {
    public static let names = ["minbase", "purged", "static"]

    static let starter = Starter()

    actor Starter {
        var task: Task<String, any Error>?

        func folder() async throws -> String {
            if let task { return try await task.value }
            let task = Task { () throws -> String in
                let folder = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-real-images").path
                let script = TestRegistries.repositoryRoot.appendingPathComponent("scripts/test-registries/real-images.sh").path
                let (ok, output) = try await TestRegistries.run(script, [folder])
                guard ok else { throw TestRegistries.StartError(description: "scripts/test-registries/real-images.sh failed: \(output)") }
                return folder
            }
            self.task = task
            return try await task.value
        }
    }

    /// The folder: `oci` (the layout, one tag per image) and `rootfs/<name>`.
    public static func folder() async throws -> String { try await starter.folder() }

    /// Pushes an image of the layout to `registry/repository:tag` with skopeo, digests kept.
    public static func push(_ name: String, to registry: String, repository: String, tag: String) async throws {
        let folder = try await folder()
        let (ok, output) = try await TestRegistries.run(
            "skopeo", ["copy", "--quiet", "--dest-tls-verify=false", "--preserve-digests", "oci:\(folder)/oci:\(name)", "docker://\(registry)/\(repository):\(tag)"])
        guard ok else { throw TestRegistries.StartError(description: "skopeo copy failed: \(output)") }
    }
}
