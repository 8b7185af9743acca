/// One pgoutput (protocol version 1) logical replication message: the payload of an XLogData frame.
///
/// Every message starts with a one-byte ASCII tag; the layout of the rest is documented on each
/// case's payload type (all integers big-endian, strings NUL-terminated UTF-8). See PostgreSQL's
/// "Logical Replication Message Formats" (protocol-logicalrep-message-formats.html).
///
/// Tags this type does not model (the protocol 2/3 stream and two-phase messages `S E c A b P p K r`,
/// or anything newer) decode to ``unknown(tag:)`` instead of failing, so a caller can skip or
/// reject them deliberately.
///
/// Decoding is strict: a message must be consumed exactly, and truncated or malformed input throws
/// ``PgOutputDecodingError``; it never traps.
public enum PgOutputMessage: Hashable, Sendable {
    case begin(Begin)
    case commit(Commit)
    case relation(Relation)
    case type(TypeMessage)
    case insert(Insert)
    case update(Update)
    case delete(Delete)
    case truncate(Truncate)
    case origin(Origin)
    case logicalMessage(LogicalMessage)
    /// A message with a tag this decoder does not know. Its bytes were not inspected.
    case unknown(tag: UInt8)

    /// The one-byte tags of the modelled messages.
    public enum Tag {
        public static let begin = UInt8(ascii: "B")
        public static let commit = UInt8(ascii: "C")
        public static let relation = UInt8(ascii: "R")
        public static let type = UInt8(ascii: "Y")
        public static let insert = UInt8(ascii: "I")
        public static let update = UInt8(ascii: "U")
        public static let delete = UInt8(ascii: "D")
        public static let truncate = UInt8(ascii: "T")
        public static let origin = UInt8(ascii: "O")
        public static let logicalMessage = UInt8(ascii: "M")
    }
}

extension PgOutputMessage {
    /// Decodes one message.
    ///
    /// Byte fields (tuple values, logical message content) in the result are slices of `bytes`,
    /// so this copies no column data and allocates only the column and relation arrays and strings.
    ///
    /// - Throws: ``PgOutputDecodingError`` if the message is empty, truncated, malformed or has trailing bytes.
    public init(decoding bytes: ArraySlice<UInt8>) throws(PgOutputDecodingError) {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(PgOutputDecodingError) -> PgOutputMessage in
                try Self.decode(raw, in: bytes)
            }
        }
        self = try result.get()
    }

    /// Decodes one message held in an array. See ``init(decoding:)-(ArraySlice<UInt8>)``.
    public init(decoding bytes: [UInt8]) throws(PgOutputDecodingError) {
        try self.init(decoding: bytes[...])
    }

    /// Decodes one message from borrowed memory (for example a libpq CopyData buffer).
    ///
    /// The bytes are copied once into an array owned by the result, because tuple values are
    /// slices of it; use ``peekTag(_:)`` to avoid even that for messages you will not inspect.
    public init(decoding buffer: UnsafeRawBufferPointer) throws(PgOutputDecodingError) {
        try self.init(decoding: Array(buffer)[...])
    }

    /// The tag byte of a message without decoding it, or nil if the message is empty.
    public static func peekTag(_ buffer: UnsafeRawBufferPointer) -> UInt8? {
        buffer.first
    }

    private static func decode(_ raw: UnsafeRawBufferPointer, in bytes: ArraySlice<UInt8>) throws(PgOutputDecodingError) -> PgOutputMessage
    {
        guard let tag = raw.first else {
            throw PgOutputDecodingError(tag: 0, offset: 0, reason: .empty)
        }
        var reader = ByteReader(raw, tag: tag, offset: 1)
        let message: PgOutputMessage
        switch tag {
        case Tag.begin: message = .begin(try .decode(&reader))
        case Tag.commit: message = .commit(try .decode(&reader))
        case Tag.relation: message = .relation(try .decode(&reader))
        case Tag.type: message = .type(try .decode(&reader))
        case Tag.insert: message = .insert(try .decode(&reader, in: bytes))
        case Tag.update: message = .update(try .decode(&reader, in: bytes))
        case Tag.delete: message = .delete(try .decode(&reader, in: bytes))
        case Tag.truncate: message = .truncate(try .decode(&reader))
        case Tag.origin: message = .origin(try .decode(&reader))
        case Tag.logicalMessage: message = .logicalMessage(try .decode(&reader, in: bytes))
        default: return .unknown(tag: tag)
        }
        try reader.expectEnd()
        return message
    }
}
