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
/// ``ServeResponder`` keeps only this in the connection's task while the request waits; the
/// planning and reading before and after each wait run in short-lived tasks of their own. A
/// task keeps the memory of the deepest frames it ever ran until it ends, so a long-poll parked
/// after a deep path (resolution, planning, a read) would otherwise hold about 20 KB of frames
/// for the whole wait (issue 11: idle live connections).
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

    /// Waits for a notification, one re-check interval, the deadline or the client leaving
    /// (a failure: `CancellationError`). Shallow on purpose: it runs in the connection's task.
    mutating func wait() async -> Result<ShapeSession.Progress, any Error> {
        do {
            return .success(try await session.waitForProgress(since: &generation, until: deadline))
        } catch {
            return .failure(error)
        }
    }
}
