import ConduitCore
import Hummingbird

/// What serving a shape request came to so far: its response, or a live request parked until
/// its shape advances.
enum ShapeStep: Sendable {
    case response(Response)
    case waiting(LongPoll)
}

/// A caught-up live request (protocol.md §8.2) between two waits: all it needs to go on.
///
/// While it waits, this value (in a ``LiveNotifier`` callback) is all a parked long-poll holds:
/// no task. The planning and reading before and after each wait run in short-lived tasks,
/// started when the wait ends (``ServeResponder``). A suspended task keeps the memory of the
/// deepest frames it ever ran until it ends, about 1 KB per async frame on the way to the wait,
/// so a long-poll parked in a task would hold 10 KB or more for the whole wait (issue 11: idle
/// live connections).
struct LongPoll: Sendable {
    let session: ShapeSession
    /// The client's offset, which the log has nothing after yet.
    let offset: LogOffset
    /// The plan that found nothing, for the no-change response at the deadline.
    let initial: ShapeLogPlan
    /// The shape's notification generation the last read saw.
    var generation: UInt64
    /// When the long-poll answers with no change.
    let deadline: ContinuousClock.Instant

    /// Parks until a notification, one re-check interval, the deadline, serve stopping or the
    /// client leaving, then calls `onWake`; false, and nothing parked, once the deadline passed.
    func park(_ onWake: @escaping @Sendable (LiveNotifier.Wake) -> Void) -> Bool {
        guard let slice = session.waitSlice(until: deadline) else { return false }
        session.notifier.park(
            for: session.shape.handle, since: generation, timeout: slice, connection: session.connection, onWake: onWake)
        return true
    }

    /// What the wait that ended with `wake` means (a failure, `CancellationError`, when the client
    /// left); the generation moves on for the next wait.
    mutating func progress(after wake: LiveNotifier.Wake) async -> Result<ShapeSession.Progress, any Error> {
        do {
            return .success(try await session.progress(after: wake, generation: &generation))
        } catch {
            return .failure(error)
        }
    }
}
