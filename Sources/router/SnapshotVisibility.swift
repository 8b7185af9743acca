/// A PostgreSQL snapshot (`pg_current_snapshot()`: `xmin:xmax:xip,…`) and the rule that merges
/// a shape's initial snapshot with the replication stream (protocol.md §8.2).
///
/// A streamed transaction whose xid is visible in the snapshot already has its effects in the
/// snapshot rows and is skipped for that shape; every other transaction is applied.
struct SnapshotVisibility: Codable, Hashable, Sendable {
    var xmin: UInt64
    var xmax: UInt64
    var xip: [UInt64]

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

    init(xmin: UInt64, xmax: UInt64, xip: [UInt64]) {
        self.xmin = xmin
        self.xmax = xmax
        self.xip = xip
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
