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
        if let start, start >= end { return true }
        let reader = try SpoolReader(directory: configuration.storage.spoolDirectory)
        if let start {
            try reader.openCursor(at: start)
        } else {
            guard let first = try reader.segments().first else { return true }
            try reader.openCursor(segment: first)
        }
        let limit = SpoolDurablePosition(segment: end.segment, offset: end.offset, commitEndLSN: appliedCommitEnd)
        let relationID = shape.metadata.relationID
        var relation: PgOutputMessage.Relation?
        var transaction: RoutedTransaction?
        while let batch = try reader.nextRecords(upTo: limit) {
            for record in batch.records {
                if record.kind == .streamReset { return false }
                let message = try record.decode()
                switch message {
                case .relation(let described) where described.relationID == relationID:
                    relation = described
                    guard shape.resolve(relation: described) else { return false }
                case .begin(let begin):
                    transaction = RoutedTransaction(begin)
                    shape.begin(xid: begin.xid, commitLSN: begin.finalLSN)
                case .insert, .update, .delete:
                    guard var current = transaction, let change = RowChange(message) else { continue }
                    let op = current.nextOp()
                    transaction = current
                    guard change.relationID == relationID, shape.appliesToCurrentTransaction else { continue }
                    guard let relation, try shape.apply(change, op: op, in: current, relation: relation) else { return false }
                case .truncate(let truncate) where truncate.relationIDs.contains(relationID):
                    return false
                case .commit:
                    if let current = transaction { try shape.commit(lsn: current.lsnText, xid: current.xid) }
                    transaction = nil
                default:
                    break
                }
            }
        }
        return true
    }
}
