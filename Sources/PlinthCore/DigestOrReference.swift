import Foundation

/// What a user may name an image by: a bare digest (`sha256:…`) or a reference.
/// Text that starts with a digest algorithm and has no `/` is taken as a digest, so that
/// `sha256:xyz` is a bad digest, not the tag `xyz` of an image called `sha256`.
public enum DigestOrReference: Hashable, Sendable {
    case digest(Digest)
    case reference(ImageReference)

    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case digest(Digest.ParseError)
        case reference(ImageReference.ParseError)

        public var description: String {
            switch self {
            case .digest(let e): e.description
            case .reference(let e): e.description
            }
        }
    }

    public init(parsing text: String) throws(ParseError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let colon = trimmed.firstIndex(of: ":"), !trimmed.contains("/"), !trimmed.contains("@"),
            Digest.Algorithm(rawValue: String(trimmed[..<colon])) != nil
        {
            do { self = .digest(try Digest(parsing: trimmed)) } catch { throw .digest(error) }
            return
        }
        do { self = .reference(try ImageReference(parsing: trimmed)) } catch { throw .reference(error) }
    }

    /// The digest named directly or pinned in the reference.
    public var digest: Digest? {
        switch self {
        case .digest(let d): d
        case .reference(let r): r.digest
        }
    }
}

