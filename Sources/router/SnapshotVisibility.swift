import ConduitCore

/// A PostgreSQL snapshot (`pg_current_snapshot()`: `xmin:xmax:xip,…`) and the rule that merges
/// a shape's initial snapshot with the replication stream (protocol.md §8.2).
///
/// A streamed transaction whose xid is visible in the snapshot already has its effects in the
/// snapshot rows and is skipped for that shape; every other transaction is applied.
///
/// pgoutput's xids are 32-bit and wrap; the snapshot's are 64-bit. Widening a streamed xid is
/// only sound near the snapshot, so the snapshot also records ``horizon``: a WAL position read
/// after it was taken. A transaction visible in the snapshot committed before the snapshot, so
/// its commit record lies before the horizon; every transaction committing at or after the
/// horizon is therefore applied without looking at its xid, however far the xid counter has
/// moved (2^31 transactions later, after a restart, on a table quiet for years).
struct SnapshotVisibility: Codable, Hashable, Sendable {
    var xmin: UInt64
    var xmax: UInt64
    var xip: [UInt64]
    /// `pg_current_wal_insert_lsn()` read after the snapshot; nil in records written before it
    /// was kept.
    var horizon: LSN?

    /// Parses `pg_snapshot` text, e.g. `778:781:778,780`.
    init?(text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, let xmin = UInt64(parts[0]), let xmax = UInt64(parts[1]) else { return nil }
        var xip: [UInt64] = []
        for item in parts[2].split(separator: ",") {
            guard let xid = UInt64(item) else { return nil }
            xip.append(xid)
        }
        self.init(xmin: xmin, xmax: xmax, xip: xip)
    }

    init(xmin: UInt64, xmax: UInt64, xip: [UInt64], horizon: LSN? = nil) {
        self.xmin = xmin
        self.xmax = xmax
        self.xip = xip
        self.horizon = horizon
    }

    /// Whether the transaction committing at `commitLSN` may have its effects in the snapshot;
    /// false for every commit at or past the horizon.
    func mayBeVisible(xid: UInt32, commitLSN: LSN) -> Bool {
        if let horizon, commitLSN >= horizon { return false }
        return isVisible(xid: xid)
    }

    /// Whether no later transaction can be visible, so the shape can stop checking.
    func mergeIsOver(xid: UInt32, commitLSN: LSN) -> Bool {
        if let horizon { return commitLSN >= horizon }
        return startedAfter(xid: xid)
    }

    /// Widens pgoutput's 32-bit xid to the 64-bit xid8 space next to this snapshot: the epoch is
    /// the one that puts it nearest to `xmax` (valid while the two are within 2^31 of each other).
    func fullXID(_ xid: UInt32) -> UInt64 {
        let anchor = UInt32(truncatingIfNeeded: xmax)
        let behind = anchor &- xid
        if behind <= UInt32(Int32.max) {
            return xmax >= UInt64(behind) ? xmax - UInt64(behind) : UInt64(xid)
        }
        return xmax + UInt64(xid &- anchor)
    }

    /// True when the transaction's effects are in the snapshot.
    func isVisible(xid: UInt32) -> Bool {
        let full = fullXID(xid)
        if full < xmin { return true }
        return full < xmax && !xip.contains(full)
    }

    /// True when the transaction started after the snapshot: from then on no later transaction
    /// can be visible, so filtering can stop.
    func startedAfter(xid: UInt32) -> Bool { fullXID(xid) >= xmax }
}
