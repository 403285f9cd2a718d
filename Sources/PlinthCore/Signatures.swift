import Crypto
import Foundation

/// Whose signature a new digest of an entry must carry (the entry's `signatures`): under an
/// automatic policy, a digest is approved only when one verifies; otherwise it waits, pending,
/// with the reason.
public struct SignaturePolicy: Hashable, Sendable, Codable {
    public var required: Bool
    /// ECDSA P-256 public keys, PEM (`-----BEGIN PUBLIC KEY-----`), as `cosign generate-key-pair`
    /// and `openssl ec -pubout` write them.
    public var keys: [String]
    /// Keyless signers: Fulcio certificates for these identities, logged in Rekor.
    public var identities: [SigstoreIdentity]

    public init(required: Bool, keys: [String], identities: [SigstoreIdentity] = []) {
        self.required = required
        self.keys = keys
        self.identities = identities
    }

    enum CodingKeys: String, CodingKey {
        case required, keys, identities
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        required = try container.decode(Bool.self, forKey: .required)
        keys = try container.decodeIfPresent([String].self, forKey: .keys) ?? []
        identities = try container.decodeIfPresent([SigstoreIdentity].self, forKey: .identities) ?? []
    }

    /// The keys, parsed; a key that is not a P-256 public key in PEM is refused, naming it.
    public func publicKeys() throws(Invalid) -> [P256.Signing.PublicKey] {
        var parsed: [P256.Signing.PublicKey] = []
        for (n, pem) in keys.enumerated() {
            do { parsed.append(try P256.Signing.PublicKey(pemRepresentation: pem)) } catch {
                throw Invalid(index: n, message: "is not an ECDSA P-256 public key in PEM (-----BEGIN PUBLIC KEY-----): \(error)")
            }
        }
        return parsed
    }

    public struct Invalid: Error, CustomStringConvertible {
        public var index: Int
        public var message: String
        public var description: String { "signatures.keys[\(index)] \(message)" }
    }

    /// The SHA-256 of a key's SubjectPublicKeyInfo (DER), as lookups name the signer.
    public static func fingerprint(_ key: P256.Signing.PublicKey) -> String {
        "sha256:" + SHA256.hash(data: key.derRepresentation).map { String(format: "%02x", $0) }.joined()
    }
}

/// One signature found for a digest in its registry, as cosign lays it out: the payload (a
/// simple-signing document), the signature over it, and where it was found.
public struct FoundSignature: Sendable, Hashable {
    public var payload: [UInt8]
    /// The signature, decoded from the layer's `dev.cosignproject.cosign/signature` annotation.
    public var signature: [UInt8]
    /// The Fulcio certificate (`dev.sigstore.cosign/certificate`, PEM), for keyless signatures.
    public var certificate: String?
    /// A Sigstore bundle (cosign v3's referrer), instead of a payload and signature.
    public var bundle: [UInt8]?
    /// `tag sha256-<hex>.sig` or `referrers`.
    public var source: String

    public init(payload: [UInt8], signature: [UInt8], certificate: String?, source: String) {
        self.payload = payload
        self.signature = signature
        self.certificate = certificate
        self.source = source
    }

    public init(bundle: [UInt8], source: String) {
        self.payload = []
        self.signature = []
        self.bundle = bundle
        self.source = source
    }
}

/// What Plinth found of a digest's signatures and made of them: kept per digest, shown by
/// lookups and the changelog, and the reason a required signature holds a digest back.
public struct SignatureCheck: Sendable, Hashable, Codable {
    public var verified: Bool
    /// `key` when a trusted key verified it, `keyless` for a Fulcio certificate logged in Rekor; nil when none did.
    public var method: String?
    /// The trusted key's fingerprint (`sha256:…` of its SubjectPublicKeyInfo), or the keyless
    /// signer's identity and issuer.
    public var signer: String?
    /// Where the signature that verified, or the first one found, was: `tag sha256-….sig`, `referrers`.
    public var source: String?
    /// How many signatures were found.
    public var found: Int
    /// What was concluded, in words: why it verified, or why not.
    public var reason: String
    public var checkedAt: Date

    public init(verified: Bool, method: String?, signer: String?, source: String?, found: Int, reason: String, checkedAt: Date) {
        self.verified = verified
        self.method = method
        self.signer = signer
        self.source = source
        self.found = found
        self.reason = reason
        self.checkedAt = checkedAt
    }

    enum CodingKeys: String, CodingKey {
        case verified, method, signer, source, found, reason
        case checkedAt = "checked_at"
    }
}

/// Cosign's simple-signing payload: what a signature says it signs.
public struct SimpleSigningPayload: Decodable, Sendable {
    public var critical: Critical

    public struct Critical: Decodable, Sendable {
        public var identity: Identity
        public var image: Image
        public var type: String
    }

    public struct Identity: Decodable, Sendable {
        public var dockerReference: String
        enum CodingKeys: String, CodingKey { case dockerReference = "docker-reference" }
    }

    public struct Image: Decodable, Sendable {
        public var dockerManifestDigest: String
        enum CodingKeys: String, CodingKey { case dockerManifestDigest = "docker-manifest-digest" }
    }

    public static let type = "cosign container image signature"
}

/// Key-based verification of cosign signatures: ECDSA P-256 with SHA-256 over the payload's
/// bytes (swift-crypto), then the payload must name this digest and the entry's repository.
public enum SignatureVerifier {
    /// Signatures bigger than this are not ECDSA P-256 signatures.
    public static let maxSignatureBytes = 1024
    public static let maxPayloadBytes = 64 * 1024

    /// The verdict on what was found for `digest` of `repository` under the policy's keys.
    /// `normalize` turns a `docker-reference` into the repository it names (nil when it names none).
    public static func check(
        _ found: [FoundSignature], digest: Digest, repository: String, policy: SignaturePolicy, trustedRoot: SigstoreTrustedRoot?, at moment: Date,
        normalize: (String) -> String?
    ) async -> SignatureCheck {
        func result(_ verified: Bool, _ reason: String, method: String? = nil, signer: String? = nil, source: String? = nil) -> SignatureCheck {
            SignatureCheck(
                verified: verified, method: method, signer: signer, source: source ?? found.first?.source, found: found.count, reason: reason,
                checkedAt: moment)
        }
        guard !found.isEmpty else {
            return result(false, "no signature found (looked for the tag \(cosignTag(for: digest)) and the digest's referrers)")
        }
        let keys: [P256.Signing.PublicKey]
        do { keys = try policy.publicKeys() } catch { return result(false, error.description) }
        guard !keys.isEmpty || !policy.identities.isEmpty else { return result(false, "the entry names no key or identity to verify signatures with") }
        var reasons: [String] = []
        for signature in found {
            if let bundle = signature.bundle {
                // Keyless: a Sigstore bundle whose in-toto statement is about this digest.
                guard !policy.identities.isEmpty, let trustedRoot else {
                    reasons.append("\(signature.source): a Sigstore bundle, and the entry names no keyless identity")
                    continue
                }
                do {
                    let verified = try await SigstoreVerifier.verify(
                        try SigstoreBundle(json: Data(bundle)), artifact: .subject(digest), identities: policy.identities, trustedRoot: trustedRoot, now: moment)
                    let signer = "\(verified.subject) (\(verified.issuer))"
                    return result(
                        true, "signed keyless by \(signer), logged in Rekor at index \(verified.logIndex), found at \(signature.source)", method: "keyless",
                        signer: signer, source: signature.source)
                } catch {
                    reasons.append("\(signature.source): \(error.description)")
                }
                continue
            }
            guard !keys.isEmpty else {
                reasons.append(
                    signature.certificate == nil
                        ? "\(signature.source): a key-based signature, and the entry names no key"
                        : "\(signature.source): a keyless signature in cosign's tag layout (certificate and Rekor bundle annotations), which Plinth does not verify yet")
                continue
            }
            guard signature.signature.count <= maxSignatureBytes, signature.payload.count <= maxPayloadBytes,
                let der = try? P256.Signing.ECDSASignature(derRepresentation: signature.signature)
            else {
                reasons.append("\(signature.source): not an ECDSA P-256 signature")
                continue
            }
            guard let key = keys.first(where: { $0.isValidSignature(der, for: signature.payload) }) else {
                reasons.append("\(signature.source): no trusted key verifies the signature")
                continue
            }
            guard let payload = try? JSONDecoder().decode(SimpleSigningPayload.self, from: Data(signature.payload)) else {
                reasons.append("\(signature.source): the signed payload is not a simple-signing document")
                continue
            }
            guard payload.critical.type == SimpleSigningPayload.type else {
                reasons.append("\(signature.source): the signed payload's type is '\(payload.critical.type)'")
                continue
            }
            guard payload.critical.image.dockerManifestDigest == digest.description else {
                reasons.append("\(signature.source): the signature is for \(payload.critical.image.dockerManifestDigest), not this digest")
                continue
            }
            guard normalize(payload.critical.identity.dockerReference) == repository else {
                reasons.append(
                    "\(signature.source): the signature names the repository '\(payload.critical.identity.dockerReference)', not \(repository)")
                continue
            }
            let fingerprint = SignaturePolicy.fingerprint(key)
            return result(
                true, "signed by the key \(fingerprint) (ECDSA P-256), found at \(signature.source)", method: "key", signer: fingerprint,
                source: signature.source)
        }
        return result(false, reasons.joined(separator: "; "))
    }

    /// Cosign's tag for a digest's signatures: `sha256-<hex>.sig`.
    public static func cosignTag(for digest: Digest) -> String { "\(digest.algorithm.rawValue)-\(digest.hex).sig" }
    /// The OCI 1.1 referrers tag schema's fallback tag: `sha256-<hex>`.
    public static func referrersTag(for digest: Digest) -> String { "\(digest.algorithm.rawValue)-\(digest.hex)" }
}
