/// When router's main loop commits the shape logs it appended to: at once, unless the commit is
/// costly and more WAL is still arriving.
///
/// A group commit costs about the same per touched shape whatever the number of transactions it
/// covers (a write to each shape's files, then `syncfs` writing back a page of each). Draining a
/// backlog that touches 10,000 shapes per few transactions, committing each time the loop caught
/// up with ingest made every one of those commits pay for all 10,000 shapes again. So when the
/// commit due would take at least ``minimumDeferredSeconds`` (estimated from recent commits'
/// cost per shape), the loop keeps reading while ingest keeps announcing WAL, and commits once
/// none arrived for a quarter of that cost (at most 50 ms), or once it has waited as long as the
/// commit itself would take (at most 1 s).
///
/// A commit of fewer than ``minimumDeferredShapes`` shapes, the live case, is never deferred, and
/// its cost does not feed the estimate: the flush's fixed part (`syncfs` writes back whatever
/// else is dirty on the file system) dominates it, so "seconds per shape" taken from it would be
/// wrong by orders of magnitude. Before this rule, one slow flush of one shape made every later
/// one-shape commit look costly, and live changes arriving every few milliseconds were held for
/// up to a second (bench/e2e's latency row: p99 0.9–1.0 s).
struct CommitPacing {
    static let minimumDeferredShapes = 64
    static let minimumDeferredSeconds = 0.005
    static let maximumQuietSeconds = 0.05
    static let maximumDeferralSeconds = 1.0

    /// Recent group commits' seconds per touched shape (a moving average).
    private(set) var secondsPerShape: Double = 0
    /// When the pending commit was first deferred.
    private var deferredSince: Double?
    /// When frames were last read while a commit was deferred.
    private var lastArrival: Double = 0

    /// Records a finished group commit of `shapes` shapes.
    mutating func committed(shapes: Int, seconds: Double) {
        deferredSince = nil
        guard shapes >= Self.minimumDeferredShapes else { return }
        let sample = seconds / Double(shapes)
        secondsPerShape = secondsPerShape == 0 ? sample : (secondsPerShape + sample) / 2
    }

    /// Whether to commit `dirtyShapes` shapes now, at a transaction boundary; `arrived` when
    /// frames were just read.
    mutating func shouldCommit(now: Double, dirtyShapes: Int, arrived: Bool) -> Bool {
        let expected = secondsPerShape * Double(dirtyShapes)
        guard dirtyShapes >= Self.minimumDeferredShapes, expected >= Self.minimumDeferredSeconds else { return true }
        if arrived || deferredSince == nil { lastArrival = now }
        let since = deferredSince ?? now
        deferredSince = since
        return now >= deadline(since: since, expected: expected)
    }

    /// Seconds until a deferred commit is due (nil when none is deferred).
    func secondsUntilDue(now: Double, dirtyShapes: Int) -> Double? {
        guard let since = deferredSince else { return nil }
        return max(0, deadline(since: since, expected: secondsPerShape * Double(dirtyShapes)) - now)
    }

    private func deadline(since: Double, expected: Double) -> Double {
        let quiet = min(expected / 4, Self.maximumQuietSeconds)
        let cap = min(max(expected, Self.maximumQuietSeconds), Self.maximumDeferralSeconds)
        return min(lastArrival + quiet, since + cap)
    }
}
