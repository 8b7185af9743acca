import ConduitCore

extension PgOutputMessage {
    /// `M` Message: written with `pg_logical_emit_message`, sent only with the `messages 'true'` option.
    ///
    /// Layout after the tag: `u8 flags (bit 0 = transactional), u64 lsn, str prefix, u32 length, length bytes`.
    /// Non-transactional messages arrive outside any Begin/Commit pair.
    public struct LogicalMessage: Hashable, Sendable {
        public var flags: UInt8
        public var lsn: LSN
        public var prefix: String
        /// The content bytes, a slice of the decoded message.
        public var content: ArraySlice<UInt8>

        public var isTransactional: Bool { flags & 1 != 0 }

        public init(flags: UInt8, lsn: LSN, prefix: String, content: ArraySlice<UInt8>) {
            self.flags = flags
            self.lsn = lsn
            self.prefix = prefix
            self.content = content
        }

        static func decode(_ reader: inout ByteReader, in message: ArraySlice<UInt8>) throws(PgOutputDecodingError) -> Self {
            let flags = try reader.readUInt8("Message.flags")
            let lsn = try reader.readLSN("Message.lsn")
            let prefix = try reader.readCString("Message.prefix")
            let length = try reader.readUInt32("Message.length")
            let range = try reader.readRange(count: Int(length), "Message.content")
            let base = message.startIndex
            return Self(flags: flags, lsn: lsn, prefix: prefix, content: message[(base + range.lowerBound)..<(base + range.upperBound)])
        }
    }
}
