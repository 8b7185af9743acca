extension PgOutputMessage {
    /// `R` Relation: the schema of a published table, sent before its first change in a replication
    /// session and again after a schema change.
    ///
    /// Layout after the tag:
    /// ```
    /// u32 relationID, str namespace, str name, u8 replicaIdentity, u16 ncols,
    /// ncols × (u8 flags (bit 0 = part of the key), str name, u32 typeOID, i32 typeModifier)
    /// ```
    /// `str` is NUL-terminated UTF-8. The namespace of `pg_catalog` is sent as an empty string.
    public struct Relation: Hashable, Sendable {
        /// The table's `REPLICA IDENTITY` setting, which decides what old-row data Update and Delete carry.
        public enum ReplicaIdentity: UInt8, Hashable, Sendable {
            /// `d`: the primary key.
            case `default` = 0x64
            /// `n`: nothing.
            case nothing = 0x6E
            /// `f`: all columns (`REPLICA IDENTITY FULL`).
            case full = 0x66
            /// `i`: the columns of a chosen unique index.
            case index = 0x69
        }

        /// One column of the relation, in table order.
        public struct Column: Hashable, Sendable {
            /// Raw flag byte; bit 0 means the column is part of the replica identity key.
            public var flags: UInt8
            public var name: String
            public var typeOID: UInt32
            /// `atttypmod`, e.g. length + 4 for `varchar(n)`, or -1.
            public var typeModifier: Int32

            public var isKey: Bool { flags & 1 != 0 }

            public init(flags: UInt8, name: String, typeOID: UInt32, typeModifier: Int32) {
                self.flags = flags
                self.name = name
                self.typeOID = typeOID
                self.typeModifier = typeModifier
            }
        }

        public var relationID: UInt32
        public var namespace: String
        public var name: String
        public var replicaIdentity: ReplicaIdentity
        public var columns: [Column]

        public init(relationID: UInt32, namespace: String, name: String, replicaIdentity: ReplicaIdentity, columns: [Column]) {
            self.relationID = relationID
            self.namespace = namespace
            self.name = name
            self.replicaIdentity = replicaIdentity
            self.columns = columns
        }

        static func decode(_ reader: inout ByteReader) throws(PgOutputDecodingError) -> Relation {
            let relationID = try reader.readUInt32("Relation.relationID")
            let namespace = try reader.readCString("Relation.namespace")
            let name = try reader.readCString("Relation.name")
            let identityByte = try reader.readUInt8("Relation.replicaIdentity")
            guard let identity = ReplicaIdentity(rawValue: identityByte) else {
                throw reader.error(.invalidValue(field: "Relation.replicaIdentity", value: identityByte))
            }
            let count = Int(try reader.readUInt16("Relation.ncols"))
            // A column takes at least 10 bytes; refuse impossible counts before allocating.
            guard count * 10 <= reader.remaining else {
                throw reader.error(.truncated(field: "Relation columns", needed: count * 10, available: reader.remaining))
            }
            var columns: [Column] = []
            columns.reserveCapacity(count)
            for _ in 0..<count {
                columns.append(
                    Column(
                        flags: try reader.readUInt8("Relation column flags"),
                        name: try reader.readCString("Relation column name"),
                        typeOID: try reader.readUInt32("Relation column typeOID"),
                        typeModifier: try reader.readInt32("Relation column typeModifier")
                    )
                )
            }
            return Relation(relationID: relationID, namespace: namespace, name: name, replicaIdentity: identity, columns: columns)
        }
    }
}
