import ConduitCore
import Spool

/// Applies to one shape the transactions of a stretch of the spool, filtered by the shape's
/// snapshot visibility and its `appliedThroughLSN` exactly as the routing loop applies them.
///
/// Two users: a new shape joining late (``RouterEngine/catchUp(_:from:)``: the stretch the loop
/// routed while the snapshot was being opened) and `router replay`, which rebuilds a shape's
/// change log from the position its snapshot merge started at (``ShapeReplay``). Offsets are
/// `<commit LSN>_<op index>` of the stream, so the entries written are the ones the loop wrote.
enum ShapeCatchUp {
    /// Replays the spool in `directory` from `start` (nil: its first segment) up to `limit` into
    /// `shape`.
    ///
    /// - Returns: false when the stretch holds something the shape cannot follow (its table was
    ///   truncated or changed shape, or the stream was reset): the shape is not valid past it.
    static func replay(into shape: ActiveShape, directory: String, from start: SpoolPosition?, to limit: SpoolDurablePosition) throws
        -> Bool
    {
        if let start, start >= limit.position { return true }
        let reader = try SpoolReader(directory: directory)
        if let start {
            try reader.openCursor(at: start)
        } else {
            guard let first = try reader.segments().first else { return true }
            try reader.openCursor(segment: first)
        }
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
                    if transaction != nil { try shape.commit() }
                    transaction = nil
                default:
                    break
                }
            }
        }
        return true
    }
}
