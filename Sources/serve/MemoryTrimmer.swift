import ConduitCore

/// Gives freed heap back to the system after many connections left.
///
/// glibc keeps memory freed by the event-loop threads in their arenas: after 10,000 long-polls
/// leave, serve's resident size would stay at its peak (issue 11: "memory returned"). Sampled
/// once a second with the open connection count: once the count fell to half of its peak since
/// the last trim, and by at least ``minimumDrop`` connections, `malloc_trim(0)` returns every
/// free page of every arena. The cost (a walk over the arenas, some milliseconds at worst) is
/// paid only after such a drop, never per request.
struct MemoryTrimmer {
    /// Connections that must have left before a trim is worth it.
    static let minimumDrop = 256

    private var peak = 0

    /// Feeds the current count; true when it asked glibc to return memory.
    mutating func sample(openConnections count: Int) -> Bool {
        peak = max(peak, count)
        guard peak - count >= Self.minimumDrop, count <= peak / 2 else { return false }
        peak = count
        return Self.trim?(0) != nil
    }

    /// glibc's `malloc_trim(3)` (nil elsewhere, where trimming is skipped).
    private static let trim = LibcFunction.lookup("malloc_trim", as: (@convention(c) (Int) -> Int32).self)
}
