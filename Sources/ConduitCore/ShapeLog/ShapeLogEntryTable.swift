/// The layout of a table of fixed-size entries of `u64` fields: `changes.idx` (three fields per
/// entry) and `changes.chunks` (one, or four in version 3), see ``ShapeLogFormat``.
///
/// Version 2 follows each entry's fields with their CRC-32C and 4 zero bytes, so a flipped bit in
/// an index is reported (``ShapeLogError/corrupt(path:detail:)``), never served as a wrong offset
/// or byte range. Version 1 (no checksum) is what earlier releases wrote; such a file keeps its
/// layout until its shape is dropped. Version 3 of `changes.chunks` (beside a version-3 change
/// log, ``ChangeLogLayout``) is checksummed like version 2 and holds four fields per closed chunk:
/// its last entry's ordinal, the chunk's end position in `changes.log`, and its last entry's
/// offset (`tx`, `op`).
struct ShapeLogEntryTable: Sendable, Equatable {
    let magic: [UInt8]
    let fields: Int
    let version: UInt8

    static let currentVersion: UInt8 = 2
    /// The `changes.chunks` version beside a version-3 change log.
    static let offsetChunksVersion: UInt8 = 3

    static func changeIndex(version: UInt8 = currentVersion) -> Self {
        Self(magic: ShapeLogFormat.changeIndexMagic, fields: 3, version: version)
    }

    static func changeChunks(version: UInt8 = currentVersion) -> Self {
        Self(magic: ShapeLogFormat.changeChunksMagic, fields: version >= offsetChunksVersion ? 4 : 1, version: version)
    }

    /// The versions a file of this table may have: `changes.chunks` of a version-3 change log is
    /// version 3, the rest 1 or 2.
    private var versions: ClosedRange<UInt8> { version >= Self.offsetChunksVersion ? version...version : 1...Self.currentVersion }

    private var isChecked: Bool { version >= 2 }
    private var valueBytes: Int { fields * 8 }

    /// Bytes per entry.
    var entrySize: Int { isChecked ? valueBytes + 8 : valueBytes }

    /// The file header for a new file of this table.
    var fileHeader: [UInt8] { ShapeLogFormat.fileHeader(magic: magic, version: version) }

    /// Where entry `ordinal` starts.
    func position(of ordinal: UInt64) -> UInt64 {
        UInt64(ShapeLogFormat.fileHeaderSize) + ordinal * UInt64(entrySize)
    }

    /// The file length holding `count` entries.
    func length(entries count: UInt64) -> UInt64 { position(of: count) }

    /// Appends one entry holding the first ``fields`` of the values to `buffer`, without
    /// allocating.
    func append(_ first: UInt64, _ second: UInt64 = 0, _ third: UInt64 = 0, _ fourth: UInt64 = 0, to buffer: inout [UInt8]) {
        let start = buffer.count
        buffer.appendInteger(first, .littleEndian)
        if fields > 1 { buffer.appendInteger(second, .littleEndian) }
        if fields > 2 { buffer.appendInteger(third, .littleEndian) }
        if fields > 3 { buffer.appendInteger(fourth, .littleEndian) }
        guard isChecked else { return }
        let crc = buffer.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[start..<(start + valueBytes)])) }
        buffer.appendInteger(crc, .littleEndian)
        buffer.appendInteger(UInt32(0), .littleEndian)
    }

    /// The fields of the entry in `bytes` (one whole entry, as read at ``position(of:)``), after
    /// checking its checksum; fields past ``fields`` are 0.
    func decode(_ bytes: [UInt8], ordinal: UInt64, path: String) throws(ShapeLogError) -> (UInt64, UInt64, UInt64, UInt64) {
        guard bytes.count >= entrySize else { throw .corrupt(path: path, detail: "short entry \(ordinal)") }
        if isChecked {
            let stored = bytes.loadInteger(UInt32.self, at: valueBytes, .littleEndian)
            let computed = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<valueBytes])) }
            guard stored == computed else {
                throw .corrupt(path: path, detail: "checksum mismatch in entry \(ordinal) at byte \(position(of: ordinal))")
            }
        }
        func field(_ index: Int) -> UInt64 { index < fields ? bytes.loadInteger(UInt64.self, at: index * 8, .littleEndian) : 0 }
        return (field(0), field(1), field(2), field(3))
    }

    /// The table of the existing file whose header is `header`: a version this table's
    /// versions allow (a version-3 `changes.chunks` only beside a version-3 change log, and
    /// never an earlier one there).
    func reading(header: [UInt8], path: String) throws(ShapeLogError) -> Self {
        let version = try ShapeLogFormat.checkFileHeader(header, magic: magic, path: path, versions: versions)
        return Self(magic: magic, fields: fields, version: version)
    }
}
