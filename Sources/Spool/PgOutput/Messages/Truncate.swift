extension PgOutputMessage {
    /// `T` Truncate. Layout after the tag: `u32 nrels, u8 options, nrels × u32 relationID`.
    public struct Truncate: Hashable, Sendable {
        /// The `TRUNCATE` options byte.
        public struct Options: OptionSet, Hashable, Sendable {
            public var rawValue: UInt8
            public init(rawValue: UInt8) { self.rawValue = rawValue }

            /// `TRUNCATE ... CASCADE` (bit 0).
            public static let cascade = Options(rawValue: 1)
            /// `TRUNCATE ... RESTART IDENTITY` (bit 1).
            public static let restartIdentity = Options(rawValue: 2)
        }

        public var relationIDs: [UInt32]
        public var options: Options

        public init(relationIDs: [UInt32], options: Options) {
            self.relationIDs = relationIDs
            self.options = options
        }

        static func decode(_ reader: inout ByteReader) throws(PgOutputDecodingError) -> Truncate {
            let count = Int(try reader.readUInt32("Truncate.nrels"))
            let options = Options(rawValue: try reader.readUInt8("Truncate.options"))
            // Check the whole id list fits before reserving memory for it.
            guard count <= reader.remaining / 4 else {
                throw reader.error(.truncated(field: "Truncate.relationIDs", needed: count * 4, available: reader.remaining))
            }
            var ids: [UInt32] = []
            ids.reserveCapacity(count)
            for _ in 0..<count {
                ids.append(try reader.readUInt32("Truncate.relationID"))
            }
            return Truncate(relationIDs: ids, options: options)
        }
    }
}
