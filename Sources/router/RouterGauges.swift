import ConduitCore
import Metrics
import Synchronization

/// What the routing loop publishes for `router.status` and the metrics, outliving engine
/// rebuilds (after a full disk).
///
/// The loop counts changes and transactions in plain integers and hands them over here once per
/// group commit (``flush(changes:transactions:)``): routing a change costs an increment, never a
/// lock or an atomic.
final class RouterGauges: Sendable {
    private let shapeCount = Atomic<Int>(0)
    private let logBytes = Atomic<UInt64>(0)
    private let changesRouted = Counter(label: ConduitMetrics.changesRouted)
    private let transactionsRouted = Counter(label: ConduitMetrics.transactionsRouted)
    /// Group commits published, and the shape logs they wrote: their ratio is what one commit
    /// costs (a write per shape), their rate how often the loop pays it.
    private let commits = Counter(label: ConduitMetrics.shapeLogCommits)
    private let commitShapes = Counter(label: ConduitMetrics.shapeLogCommitShapes)
    private let snapshotDuration = Metrics.Timer(label: ConduitMetrics.snapshotDuration)

    var shapes: Int { shapeCount.load(ordering: .relaxed) }
    var shapeLogBytes: UInt64 { logBytes.load(ordering: .relaxed) }

    func setShapes(_ count: Int) { shapeCount.store(count, ordering: .relaxed) }
    func setShapeLogBytes(_ bytes: UInt64) { logBytes.store(bytes, ordering: .relaxed) }

    /// Adds a group commit of `shapes` shape logs and what the loop routed since the last one.
    func flush(changes: Int, transactions: Int, shapes: Int) {
        if changes > 0 { changesRouted.increment(by: Int64(changes)) }
        if transactions > 0 { transactionsRouted.increment(by: Int64(transactions)) }
        guard shapes > 0 else { return }
        commits.increment()
        commitShapes.increment(by: Int64(shapes))
    }

    /// A snapshot took `duration` from opening to its last row.
    func snapshotTook(_ duration: Duration) { snapshotDuration.record(duration: duration) }
}
