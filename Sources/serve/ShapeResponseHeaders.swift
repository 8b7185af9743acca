import ConduitCore

/// The caching and validation headers of a shape response (protocol.md §5), as pure functions.
enum ShapeResponseHeaders {
    /// What kind of response a `cache-control` value is chosen for (protocol.md §5.2, first match wins).
    enum CacheKind: Hashable, Sendable {
        /// POST, DELETE and other non-GET methods.
        case nonGetMethod
        /// 409, with or without a replacement handle.
        case conflict(hasNewHandle: Bool)
        /// Any other status ≥ 400.
        case error
        /// A response to `offset=-1`.
        case initial
        case liveSSE
        case live
        /// Everything else, including `offset=now`.
        case nonLive
    }

    static func cacheControl(_ kind: CacheKind) -> String {
        switch kind {
        case .nonGetMethod: return "no-cache"
        case .conflict(let hasNewHandle):
            return hasNewHandle ? "public, max-age=60, must-revalidate" : "public, max-age=1, must-revalidate"
        case .error: return "no-store"
        case .initial: return "public, max-age=604800, s-maxage=3600, stale-while-revalidate=2629746"
        case .liveSSE: return "public, max-age=59"
        case .live: return "public, max-age=5, stale-while-revalidate=5"
        case .nonLive: return "public, max-age=60, stale-while-revalidate=300"
        }
    }

    /// The cache kind of a successful (200/304) shape response.
    static func successKind(for request: ShapeRequest) -> CacheKind {
        if request.offset.isInitial { return .initial }
        if request.live { return request.liveSSE ? .liveSSE : .live }
        return .nonLive
    }

    /// `"<handle>:<request offset>:<response offset>[:<monotonic>]"`, quotes included (§5.4).
    /// The fourth component is set for no-change responses (long-poll timeout, `offset=now`) so
    /// they never revalidate.
    static func etag(handle: String, requestOffset: String, responseOffset: LogOffset, monotonic: UInt64? = nil) -> String {
        var value = "\(handle):\(requestOffset):\(responseOffset)"
        if let monotonic { value += ":\(monotonic)" }
        return "\"" + value + "\""
    }

    /// True when one of the `If-None-Match` values names `etag` (§5.4): values are split on `,`,
    /// trimmed and unquoted; weak `W/` tags are not understood, as in Electric.
    static func ifNoneMatch(_ headerValues: [String], matches etag: String) -> Bool {
        let bare = unquote(etag)
        for value in headerValues {
            for candidate in value.split(separator: ",") {
                if unquote(candidate.trimmingSpaces()) == bare { return true }
            }
        }
        return false
    }

    private static func unquote(_ text: some StringProtocol) -> String {
        var text = Substring(text)
        if text.hasPrefix("\"") { text = text.dropFirst() }
        if text.hasSuffix("\"") { text = text.dropLast() }
        return String(text)
    }

    /// Seconds from the Unix epoch to 2024-10-09T00:00:00Z, the cursor epoch of §5.5.
    static let cursorEpoch: Int64 = 1_728_432_000

    /// The next `electric-cursor` (§5.5): the end of the current `interval`-second window since
    /// the cursor epoch, or, when the client already sent that value, a jittered larger one so the
    /// live URL changes and CDNs don't serve a stale cached response.
    ///
    /// - Parameters:
    ///   - unixSeconds: the current time.
    ///   - interval: the long-poll timeout in whole seconds; 0 gives cursor `0`.
    ///   - previous: the request's `cursor` parameter.
    ///   - jitter: returns a value in `1...3600` (injected for tests).
    static func nextCursor(unixSeconds: Int64, interval: Int, previous: String?, jitter: () -> Int64) -> String {
        guard interval > 0 else { return "0" }
        let interval = Int64(interval)
        let elapsed = unixSeconds - cursorEpoch
        let windowEnd = (elapsed + interval - 1).floorDivided(by: interval) * interval
        let previousValue = previous.flatMap { Int64($0) } ?? 0
        return String(windowEnd > previousValue ? windowEnd : previousValue + jitter())
    }

    /// Exposed to browsers (§5.1); note `etag` is not in Electric's list.
    static let exposedHeaders =
        "electric-cursor,electric-handle,electric-has-data,electric-offset,electric-schema,electric-up-to-date,electric-internal-known-error,retry-after"
    static let shapeMethods = "GET, POST, HEAD, DELETE, OPTIONS"
    static let otherMethods = "GET, HEAD"
    static let serverHeader = "ElectricSQL/1.7.12 Conduit/\(Conduit.version)"

    /// The `access-control-allow-headers` of a preflight (§9.3): the requested header values that
    /// are `if-none-match` or `traceparent` (case-insensitively, one value per header line).
    static func allowedPreflightHeaders(_ requested: [String]) -> String? {
        let allowed = requested.filter { ["if-none-match", "traceparent"].contains($0.lowercased()) }
        return allowed.isEmpty ? nil : allowed.joined(separator: ",")
    }
}

extension Int64 {
    /// Floor division, correct for negative dividends (a clock before the cursor epoch).
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}

extension StringProtocol {
    fileprivate func trimmingSpaces() -> Substring {
        var text = Substring(self)
        while text.first == " " || text.first == "\t" { text = text.dropFirst() }
        while text.last == " " || text.last == "\t" { text = text.dropLast() }
        return text
    }
}
