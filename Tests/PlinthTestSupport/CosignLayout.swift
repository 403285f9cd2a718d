import Foundation
import PlinthCore

/// Signatures laid out as cosign lays them out, made by tools nobody here wrote: keys and
/// ECDSA P-256 signatures by `openssl` (`ecparam -genkey`, `dgst -sha256 -sign`), pushed to a
/// real registry with `curl` over the distribution API (monolithic blob uploads, manifest PUTs).
public struct CosignLayout: Sendable {
    /// A folder of keys and payloads for one test.
    public let folder: URL

    public init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-cosign-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    public func remove() { try? FileManager.default.removeItem(at: folder) }

    /// A new P-256 key pair by openssl; returns the public key's PEM.
    public func makeKey(_ name: String) async throws -> String {
        let key = folder.appendingPathComponent("\(name).key").path, pub = folder.appendingPathComponent("\(name).pub").path
        try await Self.tool("openssl", ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key])
        try await Self.tool("openssl", ["ec", "-in", key, "-pubout", "-out", pub])
        return try String(contentsOfFile: pub, encoding: .utf8)
    }

    /// Cosign's simple-signing payload for a digest of a repository.
    public static func payload(reference: String, digest: String) -> Data {
        Data(
            #"{"critical":{"identity":{"docker-reference":"\#(reference)"},"image":{"docker-manifest-digest":"\#(digest)"},"type":"cosign container image signature"},"optional":null}"#
                .utf8)
    }

    /// `openssl dgst -sha256 -sign` of the payload with the named key: the DER signature.
    public func sign(_ payload: Data, with name: String) async throws -> Data {
        let input = folder.appendingPathComponent("payload-\(UUID().uuidString)").path
        let output = input + ".sig"
        try payload.write(to: URL(fileURLWithPath: input))
        try await Self.tool("openssl", ["dgst", "-sha256", "-sign", folder.appendingPathComponent("\(name).key").path, "-out", output, input])
        return try Data(contentsOf: URL(fileURLWithPath: output))
    }

    /// A cosign signature manifest: an OCI image manifest whose one layer is the payload,
    /// with the base64 signature in its `dev.cosignproject.cosign/signature` annotation.
    /// Returns the manifest and the blobs it names (config, payload).
    public static func signatureManifest(payload: Data, signature: Data, artifactType: String? = nil) -> (manifest: Data, blobs: [Data]) {
        let payloadDigest = Digest.sha256(of: payload)
        let config = Data(
            #"{"architecture":"","config":{},"created":"0001-01-01T00:00:00Z","history":[{"created":"0001-01-01T00:00:00Z"}],"os":"","rootfs":{"diff_ids":["\#(payloadDigest)"],"type":"layers"}}"#
                .utf8)
        let artifact = artifactType.map { #""artifactType":"\#($0)","# } ?? ""
        let manifest = Data(
            #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",\#(artifact)"config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":\#(config.count),"digest":"\#(Digest.sha256(of: config))"},"layers":[{"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","size":\#(payload.count),"digest":"\#(payloadDigest)","annotations":{"dev.cosignproject.cosign/signature":"\#(signature.base64EncodedString())"}}]}"#
                .utf8)
        return (manifest, [config, payload])
    }

    /// An OCI image index listing referrers, as the referrers tag schema stores it.
    public static func referrersIndex(_ manifests: [(manifest: Data, artifactType: String)]) -> Data {
        let entries = manifests.map {
            #"{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":\#($0.manifest.count),"digest":"\#(Digest.sha256(of: $0.manifest))","artifactType":"\#($0.artifactType)"}"#
        }
        return Data(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[\#(entries.joined(separator: ","))]}"#.utf8)
    }

    /// Pushes blobs and a manifest to `registry/path` under `reference` (a tag or digest).
    public func push(registry: String, path: String, reference: String, manifest: Data, mediaType: String, blobs: [Data]) async throws {
        for blob in blobs {
            let file = folder.appendingPathComponent("blob-\(UUID().uuidString)").path
            try blob.write(to: URL(fileURLWithPath: file))
            // Distribution 2.8 takes a blob in two steps: POST opens an upload, PUT to its
            // Location with the digest completes it.
            let (ok, headers) = try await TestRegistries.run(
                "curl", ["-sSf", "-X", "POST", "-D", "-", "-o", "/dev/null", "http://\(registry)/v2/\(path)/blobs/uploads/"])
            guard ok, let line = headers.split(whereSeparator: \.isNewline).first(where: { $0.lowercased().hasPrefix("location:") }) else {
                throw TestRegistries.StartError(description: "opening a blob upload to \(registry)/\(path) failed: \(headers)")
            }
            var location = line.dropFirst("location:".count).trimmingCharacters(in: .whitespaces)
            if location.hasPrefix("/") { location = "http://\(registry)\(location)" }
            location += (location.contains("?") ? "&" : "?") + "digest=\(Digest.sha256(of: blob))"
            try await Self.tool(
                "curl", ["-sS", "--fail-with-body", "-X", "PUT", "-H", "Content-Type: application/octet-stream", "--data-binary", "@\(file)", location])
        }
        let file = folder.appendingPathComponent("manifest-\(UUID().uuidString)").path
        try manifest.write(to: URL(fileURLWithPath: file))
        try await Self.tool(
            "curl", ["-sS", "--fail-with-body", "-X", "PUT", "-H", "Content-Type: \(mediaType)", "--data-binary", "@\(file)", "http://\(registry)/v2/\(path)/manifests/\(reference)"])
    }

    static func tool(_ name: String, _ arguments: [String]) async throws {
        let (ok, output) = try await TestRegistries.run(name, arguments)
        guard ok else { throw TestRegistries.StartError(description: "\(name) \(arguments.joined(separator: " ")) failed: \(output)") }
    }
}

extension TestRegistries {
    /// The python of the venv with the document validators and sigstore-python
    /// (scripts/document-validators.sh installs them once in .build).
    public static func documentValidatorsPython() async throws -> String {
        let script = repositoryRoot.appendingPathComponent("scripts/document-validators.sh").path
        let (ok, output) = try await run(script, [])
        guard ok, let python = output.split(separator: "\n").last.map(String.init) else {
            throw StartError(description: "installing the document validators failed: \(output)")
        }
        return python
    }
}
