/// A position in a shape log: `(transaction offset, operation offset)`.
///
/// Text forms (protocol.md §7.1): `-1` (before everything), `<tx>_<op>`, `<tx>_inf`.
/// - `0_N` is the end of snapshot chunk `N`; `0_inf` is the end of the snapshot.
/// - `L_k` (L > 0) is a replicated change: `L` is the transaction's commit LSN as an integer and
///   `k` the change's index within the transaction (stepping by 2, so a primary-key change can be
///   split into delete `k` and insert `k+1`).
/// Ordering is lexicographic on `(tx, op)`, `inf` above every integer and `-1` below everything.
public struct LogOffset: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// `-1` for ``beforeAll``, otherwise the commit LSN (0 for the snapshot region).
    public var tx: Int64
    /// The operation index; `UInt64.max` stands for `inf`.
    public var op: UInt64

    public init(tx: Int64, op: UInt64) {
        self.tx = tx
        self.op = op
    }

    public init(lsn: LSN, op: UInt64) {
        self.tx = Int64(bitPattern: lsn.value)
        self.op = op
    }

    public static let beforeAll = LogOffset(tx: -1, op: 0)
    /// The first snapshot chunk's end, `0_0`.
    public static let firstSnapshotChunk = LogOffset(tx: 0, op: 0)
    /// The end of the snapshot region, `0_inf`.
    public static let snapshotEnd = LogOffset(tx: 0, op: .max)

    public var isBeforeAll: Bool { tx < 0 }
    /// True for offsets in the snapshot region (`0_N` and `0_inf`).
    public var isSnapshot: Bool { tx == 0 }
    public var isInfinite: Bool { op == .max }

    /// Parses the request form; accepts leading zeros and `-1_0`; rejects anything else.
    public init?(_ text: String) {
        if text == "-1" || text == "-1_0" {
            self = .beforeAll
            return
        }
        let parts = text.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 2, let tx = LogOffset.parseDigits(parts[0]), tx <= UInt64(Int64.max) else { return nil }
        if parts[1] == "inf" {
            self.init(tx: Int64(tx), op: .max)
        } else if let op = LogOffset.parseDigits(parts[1]), op < UInt64.max {
            self.init(tx: Int64(tx), op: op)
        } else {
            return nil
        }
    }

    private static func parseDigits(_ text: Substring) -> UInt64? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return UInt64(text)
    }

    /// Canonical text: `-1`, `0_0`, `26800584_4`, `0_inf`.
    public var description: String {
        if isBeforeAll { return "-1" }
        let txText = String(UInt64(bitPattern: tx))
        return isInfinite ? txText + "_inf" : txText + "_" + String(op)
    }

    public static func < (lhs: LogOffset, rhs: LogOffset) -> Bool {
        if lhs.tx != rhs.tx {
            // tx is a commit LSN; compare as unsigned except for -1.
            if lhs.isBeforeAll || rhs.isBeforeAll { return lhs.isBeforeAll && !rhs.isBeforeAll }
            return UInt64(bitPattern: lhs.tx) < UInt64(bitPattern: rhs.tx)
        }
        return lhs.op < rhs.op
    }
}
