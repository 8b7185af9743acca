extension PgOutputMessage {
    /// `Y` Type: names a non-built-in data type (an enum, a domain, ...) used by a following Relation.
    ///
    /// Layout after the tag: `u32 oid, str namespace, str name`.
    public struct TypeMessage: Hashable, Sendable {
        public var oid: UInt32
        public var namespace: String
        public var name: String

        public init(oid: UInt32, namespace: String, name: String) {
            self.oid = oid
            self.namespace = namespace
            self.name = name
        }

        static func decode(_ reader: inout ByteReader) throws(PgOutputDecodingError) -> TypeMessage {
            TypeMessage(
                oid: try reader.readUInt32("Type.oid"),
                namespace: try reader.readCString("Type.namespace"),
                name: try reader.readCString("Type.name")
            )
        }
    }
}
