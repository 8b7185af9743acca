import Synchronization

#if canImport(Glibc)
    @preconcurrency import Glibc
#else
    import Darwin
#endif

/// The fourth ETag component of no-change responses (protocol.md §5.4): the system's monotonic
/// clock in nanoseconds, forced strictly increasing within the process.
///
/// `CLOCK_MONOTONIC` is shared by all processes on a machine, so tags from several serve
/// processes do not repeat either (up to two requests in the same nanosecond on different
/// processes, which only costs a harmless extra revalidation).
enum MonotonicTag {
    private static let last = Atomic<UInt64>(0)

    static func next() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        let now = UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
        var previous = last.load(ordering: .relaxed)
        while true {
            let candidate = Swift.max(now, previous + 1)
            let (exchanged, original) = last.compareExchange(expected: previous, desired: candidate, ordering: .relaxed)
            if exchanged { return candidate }
            previous = original
        }
    }
}
