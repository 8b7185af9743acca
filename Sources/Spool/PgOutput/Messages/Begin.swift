import ConduitCore

extension PgOutputMessage {
    /// `B` Begin: the start of a transaction.
    ///
    /// Layout after the tag: `u64 finalLSN, i64 commitTimestamp, u32 xid` (big-endian).
    public struct Begin: Hashable, Sendable {
        /// LSN of the transaction's commit record. A transaction is already in the spool if this is
        /// below the spool's last commit end LSN.
        public var finalLSN: LSN
        /// Commit time in microseconds since 2000-01-01 00:00:00 UTC (PostgreSQL's epoch).
        public var commitTimestamp: Int64
        /// The 32-bit transaction id (no epoch).
        public var xid: UInt32

        public init(finalLSN: LSN, commitTimestamp: Int64, xid: UInt32) {
            self.finalLSN = finalLSN
            self.commitTimestamp = commitTimestamp
            self.xid = xid
        }

        static func decode(_ reader: inout ByteReader) throws(PgOutputDecodingError) -> Begin {
            Begin(
                finalLSN: try reader.readLSN("Begin.finalLSN"),
                commitTimestamp: try reader.readInt64("Begin.commitTimestamp"),
                xid: try reader.readUInt32("Begin.xid")
            )
        }
    }
}
