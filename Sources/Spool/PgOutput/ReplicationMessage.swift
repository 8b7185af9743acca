import ConduitCore

/// A CopyData message sent by the server during `START_REPLICATION`.
///
/// Layouts (big-endian; see PostgreSQL "Streaming Replication Protocol"):
/// ```
/// 'w' XLogData          u64 dataStart, u64 walEnd, i64 sendTime, payload (the rest: one pgoutput message)
/// 'k' PrimaryKeepalive  u64 walEnd, i64 sendTime, u8 replyRequested      (18 bytes after the tag)
/// ```
/// Times are microseconds since 2000-01-01 00:00:00 UTC. For logical decoding `dataStart` is the
/// LSN of the change; for a Commit it equals the Commit's `endLSN`.
///
/// Decoding copies nothing: an XLogData records where its payload lies (``XLogData/payloadRange``)
/// so the caller can hand the borrowed bytes straight to the spool writer.
public enum ReplicationMessage: Hashable, Sendable {
    case xLogData(XLogData)
    case primaryKeepalive(PrimaryKeepalive)

    /// The 25-byte header of a `w` message and where its payload lies in the CopyData buffer.
    public struct XLogData: Hashable, Sendable {
        public var dataStart: LSN
        public var walEnd: LSN
        /// Server clock at send, µs since 2000-01-01 UTC.
        public var sendTime: Int64
        /// The payload's byte range within the CopyData buffer that was decoded (starts at 25).
        public var payloadRange: Range<Int>

        public init(dataStart: LSN, walEnd: LSN, sendTime: Int64, payloadRange: Range<Int>) {
            self.dataStart = dataStart
            self.walEnd = walEnd
            self.sendTime = sendTime
            self.payloadRange = payloadRange
        }

        /// The payload inside `copyData`, which must be the buffer this header was decoded from.
        public func payload(in copyData: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(rebasing: copyData[payloadRange])
        }

        /// The payload inside `copyData`, which must be the array this header was decoded from.
        public func payload(in copyData: [UInt8]) -> ArraySlice<UInt8> {
            copyData[payloadRange]
        }
    }

    /// A `k` message: the server's WAL end, and whether it wants a status update right away.
    public struct PrimaryKeepalive: Hashable, Sendable {
        public var walEnd: LSN
        /// Server clock at send, µs since 2000-01-01 UTC.
        public var sendTime: Int64
        /// The server will time the connection out unless a ``StandbyStatusUpdate`` is sent soon.
        public var replyRequested: Bool

        public init(walEnd: LSN, sendTime: Int64, replyRequested: Bool) {
            self.walEnd = walEnd
            self.sendTime = sendTime
            self.replyRequested = replyRequested
        }
    }

    /// Size of the XLogData header including its tag.
    public static let xLogDataHeaderSize = 25

    /// Decodes a CopyData message from borrowed memory without copying.
    ///
    /// - Throws: ``PgOutputDecodingError`` with reason `unknownTag` for tags other than `w` and `k`,
    ///   or `truncated` / `trailingBytes` if the frame has the wrong length.
    public init(copyData raw: UnsafeRawBufferPointer) throws(PgOutputDecodingError) {
        guard let tag = raw.first else {
            throw PgOutputDecodingError(tag: 0, offset: 0, reason: .empty)
        }
        var reader = ByteReader(raw, tag: tag, offset: 1)
        switch tag {
        case UInt8(ascii: "w"):
            let dataStart = try reader.readLSN("XLogData.dataStart")
            let walEnd = try reader.readLSN("XLogData.walEnd")
            let sendTime = try reader.readInt64("XLogData.sendTime")
            self = .xLogData(XLogData(dataStart: dataStart, walEnd: walEnd, sendTime: sendTime, payloadRange: reader.offset..<raw.count))
        case UInt8(ascii: "k"):
            let walEnd = try reader.readLSN("PrimaryKeepalive.walEnd")
            let sendTime = try reader.readInt64("PrimaryKeepalive.sendTime")
            let reply = try reader.readUInt8("PrimaryKeepalive.replyRequested")
            try reader.expectEnd()
            self = .primaryKeepalive(PrimaryKeepalive(walEnd: walEnd, sendTime: sendTime, replyRequested: reply != 0))
        default:
            throw PgOutputDecodingError(tag: tag, offset: 0, reason: .unknownTag)
        }
    }

    /// Decodes a CopyData message held in an array.
    public init(copyData bytes: [UInt8]) throws(PgOutputDecodingError) {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(PgOutputDecodingError) -> ReplicationMessage in try ReplicationMessage(copyData: raw) }
        }
        self = try result.get()
    }
}
