import Foundation

/// Small JSON documents for audit events' `before`, `after` and `detail`, encoded properly
/// (never by string interpolation), keys sorted so that equal states read equal.
public enum JSONText {
    public static func object(_ fields: [String: String?]) -> String {
        let present = fields.compactMapValues { $0 }
        guard let data = try? JSONSerialization.data(withJSONObject: present, options: [.sortedKeys, .withoutEscapingSlashes]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// An object whose fields may also be lists of strings.
    public static func object(_ fields: [String: String?], lists: [String: [String]]) -> String {
        var present: [String: Any] = fields.compactMapValues { $0 }
        for (key, list) in lists { present[key] = list }
        guard let data = try? JSONSerialization.data(withJSONObject: present, options: [.sortedKeys, .withoutEscapingSlashes]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
