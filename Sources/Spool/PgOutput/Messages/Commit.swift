import ConduitCore

extension PgOutputMessage {
    /// `C` Commit: the end of a transaction.
    ///
    /// Layout after the tag: `u8 flags (unused, 0), u64 commitLSN, u64 endLSN, i64 commitTimestamp`.
    /// The XLogData that carries a Commit has `dataStart == endLSN`; `endLSN` is what a replication
    /// client confirms as flushed once the transaction is durable.
    public struct Commit: Hashable, Sendable {
        public var flags: UInt8
        /// LSN of the commit record.
        public var commitLSN: LSN
        /// LSN just past the commit record: the resume point after this transaction.
        public var endLSN: LSN
        /// Commit time in microseconds since 2000-01-01 00:00:00 UTC.
        public var commitTimestamp: Int64

        public init(flags: UInt8 = 0, commitLSN: LSN, endLSN: LSN, commitTimestamp: Int64) {
            self.flags = flags
            self.commitLSN = commitLSN
            self.endLSN = endLSN
            self.commitTimestamp = commitTimestamp
        }

        static func decode(_ reader: inout ByteReader) throws(PgOutputDecodingError) -> Commit {
            Commit(
                flags: try reader.readUInt8("Commit.flags"),
                commitLSN: try reader.readLSN("Commit.commitLSN"),
                endLSN: try reader.readLSN("Commit.endLSN"),
                commitTimestamp: try reader.readInt64("Commit.commitTimestamp")
            )
        }
    }
}
