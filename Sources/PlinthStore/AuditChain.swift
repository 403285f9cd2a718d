import Crypto
import Foundation

/// The audit log's hash chain. Each event's hash covers its own fields and the hash of the
/// event before it, so editing, deleting or reordering any event breaks the chain from there
/// on. (Deleting the newest events leaves a shorter valid chain: compare the head hash that
/// `plinth audit verify` prints with one recorded elsewhere to catch that.)
public enum AuditChain {
    /// The link before the first event.
    public static let genesis = String(repeating: "0", count: 64)

    /// SHA-256, hex, over an unambiguous encoding of the event's fields and `previous`: each
    /// field as `<byte count>:<bytes>`, an absent one as `~`. No JSON encoder is involved, so
    /// a library upgrade cannot change the hash of an event already written.
    public static func hash(of event: AuditEvent, id: Int64, previous: String) -> String {
        var bytes: [UInt8] = []
        func field(_ value: String?) {
            guard let value else {
                bytes.append(UInt8(ascii: "~"))
                return
            }
            let utf8 = Array(value.utf8)
            bytes += Array("\(utf8.count):".utf8) + utf8
        }
        for value in [
            "plinth-audit-v1", String(id), event.recordedAt ?? Timestamp.format(event.at), event.actor, event.action, event.subject, event.image, event.reason,
            event.before, event.after, event.detail, previous,
        ] {
            field(value)
        }
        return SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// What `verify` found.
    public enum Verification: Equatable, Sendable {
        /// Every event links to the one before and hashes to its recorded hash.
        case valid(events: Int, head: String)
        /// The first event that does not verify, and why.
        case broken(eventID: Int64, reason: String)
    }

    /// Checks events in id order from the first.
    public static func verify(_ events: some Sequence<AuditEvent>) -> Verification {
        var verifier = Verifier()
        for event in events {
            if let failure = verifier.check(event) { return failure }
        }
        return verifier.result
    }

    /// Checks a chain one event at a time (for logs too long to hold at once).
    public struct Verifier: Sendable {
        var previous = AuditChain.genesis
        var count = 0
        var lastID: Int64 = 0

        public init() {}

        /// The failure this event shows, or nil if it verifies.
        public mutating func check(_ event: AuditEvent) -> Verification? {
            guard let id = event.id else { return .broken(eventID: 0, reason: "an event has no id") }
            guard let recorded = event.hash, let link = event.previousHash else {
                return .broken(eventID: id, reason: "event \(id) is not sealed (no hash)")
            }
            if id != lastID + 1 {
                return .broken(eventID: id, reason: "event \(id) follows event \(lastID): events \(lastID + 1)…\(id - 1) are missing")
            }
            guard link == previous else {
                return .broken(eventID: id, reason: "event \(id) does not link to the event before it (deleted, inserted or reordered events)")
            }
            guard AuditChain.hash(of: event, id: id, previous: link) == recorded else {
                return .broken(eventID: id, reason: "event \(id) was changed after it was written (its fields no longer hash to its recorded hash)")
            }
            previous = recorded
            lastID = id
            count += 1
            return nil
        }

        public var result: Verification { .valid(events: count, head: previous) }
    }
}
