/// The column values of one row in an Insert, Update or Delete message.
///
/// Wire layout (big-endian), see PostgreSQL "Logical Replication Message Formats", TupleData:
/// ```
/// u16 ncols
/// ncols × ( u8 kind
///           'n'                    NULL
///           'u'                    unchanged TOASTed value (not sent; keep the old value)
///           't' u32 len, len bytes  text representation
///           'b' u32 len, len bytes  binary representation (only with the `binary` option) )
/// ```
/// Value bytes are slices of the decoded message's array, so decoding copies no column data.
/// Slices keep that array alive: copy the bytes out if you keep them for long.
public struct TupleData: Hashable, Sendable {
    /// One column value.
    public enum Column: Hashable, Sendable {
        /// SQL NULL (`n`).
        case null
        /// A TOASTed value that did not change (`u`): the new row has the old row's value. This is not NULL.
        case unchangedToast
        /// The value in PostgreSQL's text format (`t`), UTF-8 bytes without a terminator.
        case text(ArraySlice<UInt8>)
        /// The value in binary format (`b`), as the type's send function produced it.
        case binary(ArraySlice<UInt8>)
    }

    /// The columns in the relation's column order.
    public var columns: [Column]

    public init(columns: [Column]) {
        self.columns = columns
    }
}

extension TupleData {
    /// Decodes a TupleData starting at the reader's offset.
    ///
    /// - Parameter message: the array slice that `reader` points into; value slices are cut from it.
    static func decode(_ reader: inout ByteReader, in message: ArraySlice<UInt8>) throws(PgOutputDecodingError) -> TupleData {
        let count = Int(try reader.readUInt16("TupleData.ncols"))
        // Each column takes at least one byte: refuse absurd counts before reserving memory for them.
        guard count <= reader.remaining else {
            throw reader.error(.truncated(field: "TupleData columns", needed: count, available: reader.remaining))
        }
        var columns: [Column] = []
        columns.reserveCapacity(count)
        let base = message.startIndex
        for _ in 0..<count {
            let kind = try reader.readUInt8("TupleData column kind")
            switch kind {
            case UInt8(ascii: "n"):
                columns.append(.null)
            case UInt8(ascii: "u"):
                columns.append(.unchangedToast)
            case UInt8(ascii: "t"), UInt8(ascii: "b"):
                let length = try reader.readInt32("TupleData column length")
                guard length >= 0 else {
                    throw reader.error(.invalidLength(field: "TupleData column length", value: Int64(length)))
                }
                let range = try reader.readRange(count: Int(length), "TupleData column value")
                let value = message[(base + range.lowerBound)..<(base + range.upperBound)]
                columns.append(kind == UInt8(ascii: "t") ? .text(value) : .binary(value))
            default:
                throw reader.error(.invalidValue(field: "TupleData column kind", value: kind))
            }
        }
        return TupleData(columns: columns)
    }
}
