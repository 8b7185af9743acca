import ConduitCore

/// The latest Relation and Type message per id, kept so each new segment can start with them.
///
/// Entries hold a private copy of the raw message (never a slice of a larger buffer) and its
/// decoded form. A later message for the same id replaces the earlier one, as a schema change does.
struct SpoolSchemaCache {
    struct Entry {
        var lsn: LSN
        var bytes: [UInt8]
    }

    private(set) var relationEntries: [UInt32: Entry] = [:]
    private(set) var typeEntries: [UInt32: Entry] = [:]
    private(set) var relations: [UInt32: PgOutputMessage.Relation] = [:]
    private(set) var types: [UInt32: PgOutputMessage.TypeMessage] = [:]

    var isEmpty: Bool { relationEntries.isEmpty && typeEntries.isEmpty }

    /// Records `message` if it is a Relation or Type message; other messages are ignored.
    ///
    /// - Throws: ``PgOutputDecodingError`` if a Relation or Type message is malformed.
    mutating func observe(lsn: LSN, message: UnsafeRawBufferPointer) throws(PgOutputDecodingError) {
        guard let tag = message.first else { return }
        var reader = ByteReader(message, tag: tag, offset: 1)
        switch tag {
        case PgOutputMessage.Tag.relation:
            let relation = try PgOutputMessage.Relation.decode(&reader)
            try reader.expectEnd()
            relations[relation.relationID] = relation
            relationEntries[relation.relationID] = Entry(lsn: lsn, bytes: Array(message))
        case PgOutputMessage.Tag.type:
            let type = try PgOutputMessage.TypeMessage.decode(&reader)
            try reader.expectEnd()
            types[type.oid] = type
            typeEntries[type.oid] = Entry(lsn: lsn, bytes: Array(message))
        default:
            return
        }
    }

    /// Records `message` held in an array slice (see ``observe(lsn:message:)-(_,UnsafeRawBufferPointer)``).
    mutating func observe(lsn: LSN, message: ArraySlice<UInt8>) throws(PgOutputDecodingError) {
        let result = message.withUnsafeBytes { raw in
            Result { () throws(PgOutputDecodingError) in try observe(lsn: lsn, message: raw) }
        }
        try result.get()
    }

    /// The entries to replay at the start of a segment: Types first (a Relation may use them),
    /// then Relations, each ordered by id so the output is deterministic.
    func replayEntries() -> [Entry] {
        typeEntries.sorted { $0.key < $1.key }.map(\.value) + relationEntries.sorted { $0.key < $1.key }.map(\.value)
    }
}
