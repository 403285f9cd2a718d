import Crypto
import Foundation
import SwiftASN1
import X509

/// The trust a keyless signature is checked against: Sigstore's `trusted_root.json` (the
/// Fulcio certificate authorities and the Rekor logs' keys, each with the time it is trusted
/// for). Rekor v1 logs (ECDSA P-256) are read; other logs are left out.
public struct SigstoreTrustedRoot: Sendable {
    public struct Authority: Sendable {
        public var uri: String
        /// The chain as the trusted root lists it: intermediates first, the root last.
        public var certificates: [Certificate]
        public var start: Date
        public var end: Date?
    }

    public struct Log: Sendable {
        public var baseURL: String
        public var keyID: [UInt8]
        public var key: P256.Signing.PublicKey
        public var start: Date
        public var end: Date?
    }

    public var authorities: [Authority]
    public var logs: [Log]

    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    /// The `trusted_root.json` Plinth ships: Sigstore's public-good production instance.
    public static func publicGood() throws -> SigstoreTrustedRoot { try SigstoreTrustedRoot(json: Data(SigstorePublicGood.trustedRoot.utf8)) }

    public init(json: Data) throws {
        struct Document: Decodable {
            var mediaType: String?
            var tlogs: [TLog]?
            var certificateAuthorities: [CA]?
        }
        struct Range: Decodable {
            var start: String?
            var end: String?
        }
        struct Bytes: Decodable {
            var rawBytes: String
        }
        struct TLog: Decodable {
            var baseUrl: String
            var publicKey: Key
            var logId: LogID
            struct Key: Decodable {
                var rawBytes: String?
                var keyDetails: String?
                var validFor: Range?
            }
            struct LogID: Decodable {
                var keyId: String
            }
        }
        struct CA: Decodable {
            var uri: String?
            var certChain: Chain
            var validFor: Range?
            struct Chain: Decodable {
                var certificates: [Bytes]
            }
        }
        let document: Document
        do { document = try JSONDecoder().decode(Document.self, from: json) } catch { throw Invalid(description: "not a Sigstore trusted root: \(error)") }
        func time(_ text: String?, _ what: String) throws -> Date {
            guard let text, let date = SigstoreTime.parse(text) else { throw Invalid(description: "\(what) has no valid start time") }
            return date
        }
        authorities = try (document.certificateAuthorities ?? []).map { ca in
            let certificates = try ca.certChain.certificates.map { bytes -> Certificate in
                guard let der = Data(base64Encoded: bytes.rawBytes) else { throw Invalid(description: "a certificate of \(ca.uri ?? "a CA") is not base64") }
                return try Certificate(derEncoded: Array(der))
            }
            return Authority(
                uri: ca.uri ?? "", certificates: certificates, start: try time(ca.validFor?.start, "a certificate authority"),
                end: ca.validFor?.end.flatMap(SigstoreTime.parse))
        }
        logs = try (document.tlogs ?? []).compactMap { log in
            guard log.publicKey.keyDetails == "PKIX_ECDSA_P256_SHA_256", let raw = log.publicKey.rawBytes, let der = Data(base64Encoded: raw),
                let id = Data(base64Encoded: log.logId.keyId)
            else { return nil }
            return Log(
                baseURL: log.baseUrl, keyID: Array(id), key: try P256.Signing.PublicKey(derRepresentation: der),
                start: try time(log.publicKey.validFor?.start, "the log \(log.baseUrl)"), end: log.publicKey.validFor?.end.flatMap(SigstoreTime.parse))
        }
        guard !authorities.isEmpty, !logs.isEmpty else { throw Invalid(description: "the trusted root names no certificate authority or no Rekor v1 log") }
    }
}

/// Who a keyless signature must come from: the OIDC issuer that vouched for the signer, and
/// the signer's identity as the Fulcio certificate's SAN carries it (an e-mail address, or a
/// CI workflow's URI), exactly or by a regular expression matching the whole of it.
public struct SigstoreIdentity: Hashable, Sendable, Codable {
    public var issuer: String
    public var subject: String?
    public var subjectRegex: String?

    public init(issuer: String, subject: String? = nil, subjectRegex: String? = nil) {
        self.issuer = issuer
        self.subject = subject
        self.subjectRegex = subjectRegex
    }

    enum CodingKeys: String, CodingKey {
        case issuer, subject
        case subjectRegex = "subject_regex"
    }

    func matches(subject candidates: [String], issuer found: String?) -> Bool {
        guard found == issuer else { return false }
        if let subject { return candidates.contains(subject) }
        guard let pattern = subjectRegex, let regex = try? NSRegularExpression(pattern: "^(?:\(pattern))$") else { return false }
        return candidates.contains { regex.firstMatch(in: $0, range: NSRange($0.startIndex..., in: $0)) != nil }
    }
}

/// A Sigstore bundle (`application/vnd.dev.sigstore.bundle…`, versions 0.1 to 0.3): the
/// signature (over a message, or a DSSE envelope), the Fulcio certificate, and the Rekor
/// entry that logged it.
public struct SigstoreBundle: Sendable {
    public enum Content: Sendable {
        /// `digest` is the bundle's own SHA-256 of the artifact: a hint, checked against the artifact.
        case message(signature: [UInt8], digest: [UInt8]?)
        case dsse(payloadType: String, payload: [UInt8], signature: [UInt8])
    }

    public struct Entry: Sendable {
        public var logIndex: Int64
        public var logID: [UInt8]
        public var kind: String
        public var version: String
        public var integratedTime: Int64
        public var signedEntryTimestamp: [UInt8]?
        public var proof: Proof?
        public var body: [UInt8]
    }

    public struct Proof: Sendable {
        public var logIndex: Int64
        public var treeSize: Int64
        public var rootHash: [UInt8]
        public var hashes: [[UInt8]]
        public var checkpoint: String?
    }

    public var mediaType: String
    /// 1, 2 or 3: the minor version its media type says.
    public var version: Int
    public var leaf: Certificate
    public var leafDER: [UInt8]
    public var content: Content
    public var entry: Entry

    public static let maxBytes = 1 << 20

    /// Parses a bundle; anything malformed (truncated JSON, bad base64, no certificate, no or
    /// several log entries, a negative index, an unknown version) is refused, saying what.
    public init(json: Data) throws(SigstoreFailure) {
        guard json.count <= Self.maxBytes else { throw SigstoreFailure("the bundle is larger than \(Self.maxBytes) bytes") }
        let object: [String: Any]
        do {
            guard let parsed = try JSONSerialization.jsonObject(with: json) as? [String: Any] else { throw SigstoreFailure("the bundle is not a JSON object") }
            object = parsed
        } catch let failure as SigstoreFailure { throw failure } catch { throw SigstoreFailure("the bundle is not valid JSON") }
        mediaType = object["mediaType"] as? String ?? ""
        switch mediaType {
        case "application/vnd.dev.sigstore.bundle+json;version=0.1": version = 1
        case "application/vnd.dev.sigstore.bundle+json;version=0.2": version = 2
        case "application/vnd.dev.sigstore.bundle+json;version=0.3", "application/vnd.dev.sigstore.bundle.v0.3+json": version = 3
        default: throw SigstoreFailure("unsupported bundle media type '\(mediaType)'")
        }
        func bytes(_ value: Any?, _ what: String) throws(SigstoreFailure) -> [UInt8] {
            guard let text = value as? String, let data = Data(base64Encoded: text) else { throw SigstoreFailure("\(what) is missing or not base64") }
            return Array(data)
        }
        func integer(_ value: Any?, _ what: String) throws(SigstoreFailure) -> Int64 {
            let number = (value as? String).flatMap { Int64($0) } ?? (value as? NSNumber)?.int64Value
            guard let number, number >= 0 else { throw SigstoreFailure("\(what) is missing or negative") }
            return number
        }
        let material = object["verificationMaterial"] as? [String: Any] ?? [:]
        var leafBytes: [UInt8]
        if let certificate = material["certificate"] as? [String: Any] {
            leafBytes = try bytes(certificate["rawBytes"], "the certificate")
        } else if let chain = (material["x509CertificateChain"] as? [String: Any])?["certificates"] as? [[String: Any]], let first = chain.first {
            leafBytes = try bytes(first["rawBytes"], "the certificate")
        } else {
            throw SigstoreFailure("the bundle has no signing certificate (a bundle signed with a key is not keyless)")
        }
        do { leaf = try Certificate(derEncoded: leafBytes) } catch { throw SigstoreFailure("the signing certificate does not parse: \(error)") }
        leafDER = leafBytes
        if let message = object["messageSignature"] as? [String: Any] {
            let digest = (message["messageDigest"] as? [String: Any])?["digest"]
            content = .message(signature: try bytes(message["signature"], "the message signature"), digest: try digest.map { d throws(SigstoreFailure) in try bytes(d, "the message digest") })
        } else if let envelope = object["dsseEnvelope"] as? [String: Any] {
            let signatures = envelope["signatures"] as? [[String: Any]] ?? []
            guard signatures.count == 1 else { throw SigstoreFailure("the DSSE envelope must carry exactly one signature") }
            content = .dsse(
                payloadType: envelope["payloadType"] as? String ?? "", payload: try bytes(envelope["payload"], "the DSSE payload"),
                signature: try bytes(signatures[0]["sig"], "the DSSE signature"))
        } else {
            throw SigstoreFailure("the bundle has neither a message signature nor a DSSE envelope")
        }
        let entries = material["tlogEntries"] as? [[String: Any]] ?? []
        guard entries.count == 1, let e = entries.first else { throw SigstoreFailure("the bundle must carry exactly one transparency log entry") }
        let kind = e["kindVersion"] as? [String: Any] ?? [:]
        var proof: Proof?
        if let p = e["inclusionProof"] as? [String: Any] {
            let hashes = p["hashes"] as? [String] ?? []
            guard hashes.count <= 64 else { throw SigstoreFailure("the inclusion proof has too many hashes") }
            var decoded: [[UInt8]] = []
            for hash in hashes { decoded.append(try bytes(hash, "an inclusion proof hash")) }
            proof = Proof(
                logIndex: try integer(p["logIndex"], "the inclusion proof's log index"), treeSize: try integer(p["treeSize"], "the tree size"),
                rootHash: try bytes(p["rootHash"], "the root hash"), hashes: decoded,
                checkpoint: (p["checkpoint"] as? [String: Any])?["envelope"] as? String)
        }
        entry = Entry(
            logIndex: try integer(e["logIndex"], "the log index"), logID: try bytes((e["logId"] as? [String: Any])?["keyId"], "the log id"),
            kind: kind["kind"] as? String ?? "", version: kind["version"] as? String ?? "",
            integratedTime: try integer(e["integratedTime"], "the integrated time"),
            signedEntryTimestamp: try (e["inclusionPromise"] as? [String: Any]).map { p throws(SigstoreFailure) in
                try bytes(p["signedEntryTimestamp"], "the signed entry timestamp")
            },
            proof: proof, body: try bytes(e["canonicalizedBody"], "the log entry's body"))
    }
}

/// Why a bundle did not verify.
public struct SigstoreFailure: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// What a verified bundle proves: who signed, vouched for by which issuer, logged when.
public struct SigstoreVerification: Sendable, Hashable {
    public var subject: String
    public var issuer: String
    public var integratedTime: Date
    public var logIndex: Int64
}

/// Offline verification of keyless Sigstore signatures, as Sigstore's clients do it: the
/// Rekor entry's signed entry timestamp (RFC 8785 JSON signed by the log's key) and, from
/// version 0.2, its inclusion proof (RFC 6962 Merkle path) up to a checkpoint the log signed;
/// the Fulcio certificate's chain to a trusted authority at the time the entry was logged,
/// with the code-signing key usage; the identity the entry names (SAN and OIDC issuer
/// extension); the signature over the artifact (or the DSSE envelope); and the log entry's
/// body matching the signature, certificate and artifact. Not checked: SCTs and RFC 3161
/// timestamps (a bundle whose only time is a TSA's fails), Rekor v2 logs.
public enum SigstoreVerifier {
    /// What was signed: a file's bytes, or (DSSE) the digest an in-toto statement's subject must carry.
    public enum Artifact: Sendable {
        case bytes([UInt8])
        case subject(Digest)
    }

    public static let fulcioIssuerV1: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 57264, 1, 1]
    public static let fulcioIssuerV2: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 57264, 1, 8]

    public static func verify(
        _ bundle: SigstoreBundle, artifact: Artifact, identities: [SigstoreIdentity], trustedRoot: SigstoreTrustedRoot, now: Date = Date()
    ) async throws(SigstoreFailure) -> SigstoreVerification {
        let entry = bundle.entry
        let time = Date(timeIntervalSince1970: TimeInterval(entry.integratedTime))
        guard time <= now.addingTimeInterval(300) else { throw SigstoreFailure("the log entry's time is in the future") }
        guard let log = trustedRoot.logs.first(where: { $0.keyID == entry.logID }) else {
            throw SigstoreFailure("the entry was logged by a transparency log the trusted root does not name")
        }
        guard log.start <= time, log.end.map({ time <= $0 }) ?? true else { throw SigstoreFailure("the log's key was not trusted when the entry was logged") }

        // The log's word for the entry: its signed entry timestamp, and its inclusion proof.
        if bundle.version == 1, entry.signedEntryTimestamp == nil { throw SigstoreFailure("a version 0.1 bundle needs a signed entry timestamp") }
        if bundle.version >= 2, entry.proof?.checkpoint == nil { throw SigstoreFailure("a version 0.2+ bundle needs an inclusion proof with a checkpoint") }
        guard entry.signedEntryTimestamp != nil else { throw SigstoreFailure("no signed entry timestamp: the time the entry was logged is not proven") }
        if let set = entry.signedEntryTimestamp {
            let canonical =
                #"{"body":"\#(Data(entry.body).base64EncodedString())","integratedTime":\#(entry.integratedTime),"logID":"\#(hex(entry.logID))","logIndex":\#(entry.logIndex)}"#
            guard let signature = try? P256.Signing.ECDSASignature(derRepresentation: set), log.key.isValidSignature(signature, for: Array(canonical.utf8))
            else { throw SigstoreFailure("the signed entry timestamp does not verify with the log's key") }
        }
        if let proof = entry.proof {
            try verifyInclusion(proof, body: entry.body)
            if let checkpoint = proof.checkpoint { try verifyCheckpoint(checkpoint, proof: proof, log: log) }
        }

        // The certificate: issued by a trusted Fulcio authority, valid when the entry was logged.
        let authorities = trustedRoot.authorities.filter { $0.start <= time && ($0.end.map { time <= $0 } ?? true) }
        let roots = authorities.compactMap(\.certificates.last)
        let intermediates = authorities.flatMap { $0.certificates.dropLast() }
        var verifier = Verifier(rootCertificates: CertificateStore(roots)) {
            RFC5280Policy(validationTime: time)
            FulcioLeafPolicy()
        }
        switch await verifier.validate(leaf: bundle.leaf, intermediates: CertificateStore(intermediates)) {
        case .validCertificate: break
        case .couldNotValidate(let failures):
            let reason = failures.first.map { "\($0.policyFailureReason)" } ?? "no chain to a trusted Fulcio authority"
            throw SigstoreFailure("the signing certificate does not chain to a trusted Fulcio authority at the time it was logged (\(reason))")
        }

        // Who it names.
        let subjects = (try? bundle.leaf.extensions.subjectAlternativeNames)?.compactMap { name -> String? in
            switch name {
            case .rfc822Name(let mail): mail
            case .uniformResourceIdentifier(let uri): uri
            default: nil
            }
        } ?? []
        let issuer = issuerExtension(bundle.leaf)
        guard let subject = subjects.first, let issuer else { throw SigstoreFailure("the certificate names no signer identity or OIDC issuer") }
        guard identities.contains(where: { $0.matches(subject: subjects, issuer: issuer) }) else {
            throw SigstoreFailure("signed by \(subject) (issuer \(issuer)), not an identity the entry trusts")
        }

        // The signature, and the log entry's body: the same signature, certificate and artifact.
        guard let leafKey = P256.Signing.PublicKey(bundle.leaf.publicKey) else { throw SigstoreFailure("the signing key is not ECDSA P-256") }
        switch bundle.content {
        case .message(let signatureBytes, let hint):
            guard case .bytes(let bytes) = artifact else { throw SigstoreFailure("a message signature signs a file, not an image") }
            let digest = SHA256.hash(data: bytes)
            if let hint, hint != Array(digest) { throw SigstoreFailure("the bundle's message digest is not the artifact's") }
            guard let signature = try? P256.Signing.ECDSASignature(derRepresentation: signatureBytes), leafKey.isValidSignature(signature, for: digest)
            else { throw SigstoreFailure("the signature does not verify over the artifact") }
            guard entry.kind == "hashedrekord", entry.version == "0.0.1" else { throw SigstoreFailure("unsupported log entry kind \(entry.kind) \(entry.version)") }
            let body = try json(entry.body)
            let spec = body["spec"] as? [String: Any] ?? [:]
            let logged = ((spec["data"] as? [String: Any])?["hash"] as? [String: Any])?["value"] as? String
            let signed = spec["signature"] as? [String: Any] ?? [:]
            guard logged == hex(Array(digest)), Data(base64Encoded: signed["content"] as? String ?? "") == Data(signatureBytes),
                pemCertificate(((signed["publicKey"] as? [String: Any])?["content"] as? String) ?? "") == bundle.leafDER
            else { throw SigstoreFailure("the transparency log entry is not this signature, certificate and artifact") }
        case .dsse(let payloadType, let payload, let signatureBytes):
            let pae = Array("DSSEv1 \(payloadType.utf8.count) \(payloadType) \(payload.count) ".utf8) + payload
            guard let signature = try? P256.Signing.ECDSASignature(derRepresentation: signatureBytes), leafKey.isValidSignature(signature, for: pae)
            else { throw SigstoreFailure("the DSSE signature does not verify") }
            guard entry.kind == "dsse", entry.version == "0.0.1" else { throw SigstoreFailure("unsupported log entry kind \(entry.kind) \(entry.version)") }
            let spec = try json(entry.body)["spec"] as? [String: Any] ?? [:]
            let payloadHash = (spec["payloadHash"] as? [String: Any])?["value"] as? String
            let logged = (spec["signatures"] as? [[String: Any]])?.first
            guard payloadHash == hex(Array(SHA256.hash(data: payload))),
                Data(base64Encoded: logged?["signature"] as? String ?? "") == Data(signatureBytes),
                pemCertificate(logged?["verifier"] as? String ?? "") == bundle.leafDER
            else { throw SigstoreFailure("the transparency log entry is not this envelope, signature and certificate") }
            // What the statement is about.
            guard payloadType == "application/vnd.in-toto+json" else { throw SigstoreFailure("the DSSE payload is '\(payloadType)', not an in-toto statement") }
            let statement = try json(payload)
            let digests = (statement["subject"] as? [[String: Any]] ?? []).compactMap { ($0["digest"] as? [String: String])?["sha256"] }
            let wanted: String
            switch artifact {
            case .bytes(let bytes): wanted = hex(Array(SHA256.hash(data: bytes)))
            case .subject(let digest): wanted = digest.hex
            }
            guard digests.contains(wanted) else { throw SigstoreFailure("the signed statement is about another artifact") }
        }
        return SigstoreVerification(subject: subject, issuer: issuer, integratedTime: time, logIndex: entry.logIndex)
    }

    /// RFC 6962's audit path: the root recomputed from the leaf (SHA-256 of 0x00 and the
    /// body) and the proof's hashes must be the proof's root.
    static func verifyInclusion(_ proof: SigstoreBundle.Proof, body: [UInt8]) throws(SigstoreFailure) {
        guard proof.logIndex < proof.treeSize else { throw SigstoreFailure("the inclusion proof's index is outside its tree") }
        func node(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: [1] + left + right)) }
        var fn = proof.logIndex, sn = proof.treeSize - 1
        var hash = Array(SHA256.hash(data: [0] + body))
        for sibling in proof.hashes {
            guard sn != 0 else { throw SigstoreFailure("the inclusion proof is longer than its tree") }
            if fn & 1 == 1 || fn == sn {
                hash = node(sibling, hash)
                if fn & 1 == 0 {
                    while fn != 0 && fn & 1 == 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                hash = node(hash, sibling)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0, hash == proof.rootHash else { throw SigstoreFailure("the inclusion proof does not lead to the tree's root") }
    }

    /// The checkpoint (a C2SP signed note): its root and size are the proof's, and a line of
    /// the log's own key (by its key hint) signs the note's text.
    static func verifyCheckpoint(_ envelope: String, proof: SigstoreBundle.Proof, log: SigstoreTrustedRoot.Log) throws(SigstoreFailure) {
        guard let split = envelope.range(of: "\n\n") else { throw SigstoreFailure("the checkpoint is not a signed note") }
        let note = String(envelope[..<split.lowerBound]) + "\n"
        let lines = note.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 3, Int64(lines[1]) == proof.treeSize, Data(base64Encoded: String(lines[2])).map(Array.init) == proof.rootHash else {
            throw SigstoreFailure("the checkpoint is not for this inclusion proof's tree")
        }
        let hint = Array(log.keyID.prefix(4))
        for line in envelope[split.upperBound...].split(separator: "\n") where line.hasPrefix("\u{2014} ") {
            let parts = line.split(separator: " ")
            guard parts.count == 3, let blob = Data(base64Encoded: String(parts[2])), blob.count > 4, Array(blob.prefix(4)) == hint else { continue }
            if let signature = try? P256.Signing.ECDSASignature(derRepresentation: blob.dropFirst(4)),
                log.key.isValidSignature(signature, for: Array(note.utf8))
            {
                return
            }
        }
        throw SigstoreFailure("no signature of the log verifies the checkpoint")
    }

    /// The OIDC issuer Fulcio wrote into the certificate: the V2 extension (a DER UTF8String),
    /// else the first one (raw bytes).
    static func issuerExtension(_ certificate: Certificate) -> String? {
        if let v2 = certificate.extensions[oid: fulcioIssuerV2], let text = try? ASN1UTF8String(derEncoded: v2.value) {
            return String(text)
        }
        return certificate.extensions[oid: fulcioIssuerV1].map { String(decoding: $0.value, as: UTF8.self) }
    }

    static func json(_ bytes: [UInt8]) throws(SigstoreFailure) -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw SigstoreFailure("the log entry's body is not JSON")
        }
        return object
    }

    /// The DER of a base64-encoded PEM certificate, as Rekor bodies carry the signer's.
    static func pemCertificate(_ base64: String) -> [UInt8]? {
        guard let pem = Data(base64Encoded: base64).map({ String(decoding: $0, as: UTF8.self) }), let certificate = try? Certificate(pemEncoded: pem) else {
            return nil
        }
        var serializer = DER.Serializer()
        guard (try? serializer.serialize(certificate)) != nil else { return nil }
        return serializer.serializedBytes
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
}

/// Fulcio's leaf certificates: a critical SAN (which this policy reads, so the verifier may
/// accept it) and the code-signing extended key usage.
struct FulcioLeafPolicy: VerifierPolicy {
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = [.X509ExtensionID.subjectAlternativeName]

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) async -> PolicyEvaluationResult {
        guard let usage = try? chain.leaf.extensions.extendedKeyUsage, usage.contains(.codeSigning) else {
            return .failsToMeetPolicy(reason: "the certificate is not for code signing")
        }
        guard (try? chain.leaf.extensions.subjectAlternativeNames) != nil else { return .failsToMeetPolicy(reason: "the certificate has no SAN") }
        return .meetsPolicy
    }
}

/// RFC 3339 times as trusted roots write them (with or without fractional seconds).
enum SigstoreTime {
    static func parse(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }
}
