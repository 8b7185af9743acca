import Synchronization

/// A stop request that blocking loops poll between steps, so a process finishes its current
/// step (a group commit, a transaction) and stops cleanly instead of dying mid-write.
///
/// Nothing here touches signals: SIGTERM/SIGINT are ServiceGroup's, which starts a graceful
/// shutdown, which ``ThreadService`` turns into ``request()``.
public final class StopSignal: Sendable {
    private let flag = Atomic<Bool>(false)

    public init() {}

    /// True once a stop was requested.
    public var isRequested: Bool { flag.load(ordering: .relaxed) }

    /// Requests a stop.
    public func request() { flag.store(true, ordering: .relaxed) }
}
