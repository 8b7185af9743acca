import ConduitCore
import Spool

extension RouterEngine {
    /// Replays into a new `shape` the transactions the loop routed after `start` (nil: the start
    /// of the spool), filtered by the shape's snapshot visibility like every later transaction.
    ///
    /// The snapshot is taken on a worker while the loop keeps routing; the spool is the buffer
    /// that lets the shape join late without missing what happened meanwhile. Usually the window
    /// is empty or a few milliseconds of traffic.
    ///
    /// - Returns: false when the window holds something the shape cannot follow (its table was
    ///   truncated or changed shape, or the stream was reset): the creation is abandoned and the
    ///   client retries with a new snapshot.
    func catchUp(_ shape: ActiveShape, from start: SpoolPosition?) throws -> Bool {
        guard let end = appliedPosition else { return true }
        let limit = SpoolDurablePosition(segment: end.segment, offset: end.offset, commitEndLSN: appliedCommitEnd)
        return try ShapeCatchUp.replay(into: shape, directory: configuration.storage.spoolDirectory, from: start, to: limit)
    }
}
