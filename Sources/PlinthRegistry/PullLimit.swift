/// Docker Hub's pull limit as its `ratelimit-remaining` header reports it: `76;w=21600`, the
/// pulls left and the window in seconds. Manifest GETs count against it; HEADs do not.
/// Once none remain, GETs to that registry fail at once (without asking) until the window
/// has passed, instead of spending requests on 429s that would fail anyway.
struct PullLimit: Sendable, Equatable {
    var remaining: Int
    /// The window the count applies to; the limit is assumed to hold for this long from `seenAt`.
    var window: Duration
    var seenAt: ContinuousClock.Instant

    /// Docker Hub's documented window, when the header names none.
    static let defaultWindow: Duration = .seconds(6 * 3600)

    /// Parses `remaining[;w=seconds]`; nil for anything else.
    init?(header: String, at instant: ContinuousClock.Instant) {
        let parts = header.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let first = parts.first, let remaining = Int(first), remaining >= 0 else { return nil }
        self.remaining = remaining
        self.window = parts.dropFirst().lazy.compactMap { part -> Duration? in
            guard part.hasPrefix("w="), let seconds = Int(part.dropFirst(2)), seconds > 0 else { return nil }
            return .seconds(seconds)
        }.first ?? Self.defaultWindow
        self.seenAt = instant
    }

    /// Whether a pull (a manifest GET) must wait, at `instant`.
    func exhausted(at instant: ContinuousClock.Instant) -> Bool {
        remaining <= 0 && instant < seenAt + window
    }
}
