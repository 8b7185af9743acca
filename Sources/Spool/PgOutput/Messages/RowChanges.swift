extension PgOutputMessage {
    /// The old-row data an Update or Delete carries, and which of the two forms it has.
    public struct OldTuple: Hashable, Sendable {
        public enum Kind: UInt8, Hashable, Sendable {
            /// `K`: only the replica identity key columns; other columns are `n`.
            case key = 0x4B
            /// `O`: the whole old row (`REPLICA IDENTITY FULL`).
            case full = 0x4F
        }

        public var kind: Kind
        public var tuple: TupleData

        public init(kind: Kind, tuple: TupleData) {
            self.kind = kind
            self.tuple = tuple
        }
    }

    /// `I` Insert. Layout after the tag: `u32 relationID, 'N', TupleData`.
    public struct Insert: Hashable, Sendable {
        public var relationID: UInt32
        public var newTuple: TupleData

        public init(relationID: UInt32, newTuple: TupleData) {
            self.relationID = relationID
            self.newTuple = newTuple
        }
    }

    /// `U` Update. Layout after the tag: `u32 relationID, optional ('K' | 'O', TupleData), 'N', TupleData`.
    ///
    /// The old part is present only when the key changed (`K`) or the table has `REPLICA IDENTITY FULL` (`O`).
    public struct Update: Hashable, Sendable {
        public var relationID: UInt32
        public var old: OldTuple?
        public var newTuple: TupleData

        /// The old key columns, when the old part is of kind `K`.
        public var oldKey: TupleData? { old?.kind == .key ? old?.tuple : nil }
        /// The full old row, when the old part is of kind `O`.
        public var oldTuple: TupleData? { old?.kind == .full ? old?.tuple : nil }

        public init(relationID: UInt32, old: OldTuple?, newTuple: TupleData) {
            self.relationID = relationID
            self.old = old
            self.newTuple = newTuple
        }
    }

    /// `D` Delete. Layout after the tag: `u32 relationID, 'K' | 'O', TupleData`.
    public struct Delete: Hashable, Sendable {
        public var relationID: UInt32
        public var old: OldTuple

        public init(relationID: UInt32, old: OldTuple) {
            self.relationID = relationID
            self.old = old
        }
    }
}

extension PgOutputMessage.Insert {
    static func decode(_ reader: inout ByteReader, in message: ArraySlice<UInt8>) throws(PgOutputDecodingError) -> Self {
        let relationID = try reader.readUInt32("Insert.relationID")
        let marker = try reader.readUInt8("Insert new-tuple marker")
        guard marker == UInt8(ascii: "N") else {
            throw reader.error(.invalidValue(field: "Insert new-tuple marker", value: marker))
        }
        return Self(relationID: relationID, newTuple: try TupleData.decode(&reader, in: message))
    }
}

extension PgOutputMessage.Update {
    static func decode(_ reader: inout ByteReader, in message: ArraySlice<UInt8>) throws(PgOutputDecodingError) -> Self {
        let relationID = try reader.readUInt32("Update.relationID")
        var marker = try reader.readUInt8("Update tuple marker")
        var old: PgOutputMessage.OldTuple?
        if let kind = PgOutputMessage.OldTuple.Kind(rawValue: marker) {
            old = .init(kind: kind, tuple: try TupleData.decode(&reader, in: message))
            marker = try reader.readUInt8("Update new-tuple marker")
        }
        guard marker == UInt8(ascii: "N") else {
            throw reader.error(.invalidValue(field: "Update new-tuple marker", value: marker))
        }
        return Self(relationID: relationID, old: old, newTuple: try TupleData.decode(&reader, in: message))
    }
}

extension PgOutputMessage.Delete {
    static func decode(_ reader: inout ByteReader, in message: ArraySlice<UInt8>) throws(PgOutputDecodingError) -> Self {
        let relationID = try reader.readUInt32("Delete.relationID")
        let marker = try reader.readUInt8("Delete old-tuple marker")
        guard let kind = PgOutputMessage.OldTuple.Kind(rawValue: marker) else {
            throw reader.error(.invalidValue(field: "Delete old-tuple marker", value: marker))
        }
        return Self(relationID: relationID, old: .init(kind: kind, tuple: try TupleData.decode(&reader, in: message)))
    }
}
