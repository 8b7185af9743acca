import ConduitCore

extension PgOutputMessage {
    /// `O` Origin: the transaction was replicated into this server from another origin.
    ///
    /// Layout after the tag: `u64 commitLSN (on the origin server), str name`.
    public struct Origin: Hashable, Sendable {
        public var commitLSN: LSN
        public var name: String

        public init(commitLSN: LSN, name: String) {
            self.commitLSN = commitLSN
            self.name = name
        }

        static func decode(_ reader: inout ByteReader) throws(PgOutputDecodingError) -> Origin {
            Origin(commitLSN: try reader.readLSN("Origin.commitLSN"), name: try reader.readCString("Origin.name"))
        }
    }
}
