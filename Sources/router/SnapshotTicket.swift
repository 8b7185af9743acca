import ConduitCore
import Dispatch
import Synchronization

/// A snapshot a worker opened for a new shape, waiting for the routing loop's verdict.
///
/// The worker posts it and blocks (its transaction stays open); the loop decides between
/// transactions: ``Verdict/accepted(handle:directory:)`` once the shape is registered (the worker
/// then copies the rows into that folder), ``Verdict/retake`` when the snapshot missed a
/// transaction router had already applied, ``Verdict/abandoned`` when nobody wants the shape any
/// more. A verdict that never comes (router restarted its engine) counts as abandoned after
/// ``verdictTimeout``.
final class SnapshotTicket: Sendable {
    enum Verdict: Sendable {
        case accepted(handle: String, directory: String)
        case retake
        case abandoned
    }

    static let verdictTimeout: DispatchTimeInterval = .seconds(120)

    let resolved: ResolvedShape
    let visibility: SnapshotVisibility
    /// router's published position when the snapshot was requested: every transaction after it
    /// is replayed into the new shape (filtered by ``visibility``).
    let start: RouterProgress.Position
    private let verdict = Mutex<Verdict?>(nil)
    private let decided = DispatchSemaphore(value: 0)

    init(resolved: ResolvedShape, visibility: SnapshotVisibility, start: RouterProgress.Position) {
        self.resolved = resolved
        self.visibility = visibility
        self.start = start
    }

    /// Called by the loop, once.
    func decide(_ value: Verdict) {
        verdict.withLock { $0 = value }
        decided.signal()
    }

    /// Called by the worker: blocks until the loop decides.
    func awaitVerdict() -> Verdict {
        guard decided.wait(timeout: .now() + Self.verdictTimeout) == .success else { return .abandoned }
        return verdict.withLock { $0 } ?? .abandoned
    }
}

/// How far router's routing loop has applied the spool, published for the snapshot workers:
/// a snapshot taken after reading it has every transaction up to it, or the loop notices
/// (``SnapshotTicket``) and has it retaken.
final class RouterProgress: Sendable {
    /// A frame boundary router applied everything before (nil: the start of the spool), and the
    /// end LSN of the last commit before it.
    struct Position: Sendable, Hashable {
        var spool: SpoolPosition?
        var commitEnd: LSN
    }

    private let current = Mutex(Position(spool: nil, commitEnd: .zero))

    var position: Position { current.withLock { $0 } }

    func publish(_ position: Position) { current.withLock { $0 = position } }
}
