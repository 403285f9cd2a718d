import Foundation
import Subprocess

/// A certificate authority made by openssl, with a server certificate for 127.0.0.1 and a
/// client certificate it issued (for mutual TLS), each ECDSA P-256 and valid one day.
public struct TestPKI: Sendable {
    public var authority: String
    public var serverCertificate: String
    public var serverKey: String
    public var clientCertificate: String
    public var clientKey: String
    /// A client certificate from another authority, which the server must refuse.
    public var strangerCertificate: String
    public var strangerKey: String

    public static func make() async throws -> TestPKI {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-pki-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        func openssl(_ arguments: [String]) async throws {
            let result = try await Subprocess.run(.name("openssl"), arguments: Arguments(arguments), output: .discarded, error: .string(limit: 1 << 16))
            guard result.terminationStatus.isSuccess else {
                throw TestRegistries.StartError(description: "openssl \(arguments.first ?? "") failed: \(result.standardError)")
            }
        }
        let curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        for ca in ["ca", "stranger-ca"] {
            try await openssl(
                ["req", "-x509"] + curve + [
                    "-keyout", path("\(ca).key"), "-out", path("\(ca).pem"), "-days", "1", "-subj", "/CN=Plinth test \(ca)",
                    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                ])
        }
        func issue(_ name: String, by ca: String, subject: String, extensions: String) async throws {
            try await openssl(["req"] + curve + ["-keyout", path("\(name).key"), "-out", path("\(name).csr"), "-subj", subject])
            try FileManager.default.createDirectory(atPath: path("ext"), withIntermediateDirectories: true)
            try extensions.write(toFile: path("ext/\(name).cnf"), atomically: true, encoding: .utf8)
            try await openssl([
                "x509", "-req", "-in", path("\(name).csr"), "-CA", path("\(ca).pem"), "-CAkey", path("\(ca).key"), "-CAcreateserial",
                "-out", path("\(name).pem"), "-days", "1", "-extfile", path("ext/\(name).cnf"),
            ])
        }
        try await issue(
            "server", by: "ca", subject: "/CN=127.0.0.1",
            extensions: "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n")
        try await issue("client", by: "ca", subject: "/CN=gatekeeper", extensions: "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n")
        try await issue("stranger", by: "stranger-ca", subject: "/CN=stranger", extensions: "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n")
        return TestPKI(
            authority: path("ca.pem"), serverCertificate: path("server.pem"), serverKey: path("server.key"), clientCertificate: path("client.pem"),
            clientKey: path("client.key"), strangerCertificate: path("stranger.pem"), strangerKey: path("stranger.key"))
    }
}
