#if canImport(Glibc)
    import Glibc
#endif

/// `CLOCK_MONOTONIC` in seconds, for intervals measured by blocking loops (group-commit windows,
/// periodic checks) that run outside Swift concurrency and its clocks.
public enum MonotonicClock {
    public static func seconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
