import Glibc
import Synchronization

/// The `date` response header (RFC 9110 §6.6.1: an origin server with a clock sends it),
/// formatted at most once a second.
///
/// Hummingbird's `Application` adds it from its internal `DateCache`; serve runs its own server
/// (``ServeServer``), so it formats the IMF-fixdate itself, without locale-dependent `strftime`.
final class HTTPDate: Sendable {
    private let cached = Mutex<(second: Int, text: String)>((-1, ""))

    init() {}

    /// The current time as `Sun, 06 Nov 1994 08:49:37 GMT`.
    var current: String {
        let now = time(nil)
        return cached.withLock { cache in
            if cache.second != now {
                cache = (now, Self.format(now))
            }
            return cache.text
        }
    }

    static func format(_ seconds: Int) -> String {
        var moment = time_t(seconds)
        var parts = tm()
        gmtime_r(&moment, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}
