/// The layout of a table of fixed-size entries of `u64` fields: `changes.idx` (three fields per
/// entry) and `changes.chunks` (one), see ``ShapeLogFormat``.
///
/// Version 2, written now, follows each entry's fields with their CRC-32C and 4 zero bytes, so a
/// flipped bit in an index is reported (``ShapeLogError/corrupt(path:detail:)``), never served
/// as a wrong offset or byte range. Version 1 (no checksum) is what earlier releases wrote; such
/// a file keeps its layout until its shape is dropped.
struct ShapeLogEntryTable: Sendable, Equatable {
    let magic: [UInt8]
    let fields: Int
    let version: UInt8

    static let currentVersion: UInt8 = 2
    static let versions: ClosedRange<UInt8> = 1...2

    static func changeIndex(version: UInt8 = currentVersion) -> Self {
        Self(magic: ShapeLogFormat.changeIndexMagic, fields: 3, version: version)
    }

    static func changeChunks(version: UInt8 = currentVersion) -> Self {
        Self(magic: ShapeLogFormat.changeChunksMagic, fields: 1, version: version)
    }

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

    /// Appends one entry holding `values` (exactly ``fields`` of them) to `buffer`, without
    /// allocating.
    func append(_ first: UInt64, _ second: UInt64 = 0, _ third: UInt64 = 0, to buffer: inout [UInt8]) {
        let start = buffer.count
        buffer.appendInteger(first, .littleEndian)
        if fields > 1 { buffer.appendInteger(second, .littleEndian) }
        if fields > 2 { buffer.appendInteger(third, .littleEndian) }
        guard isChecked else { return }
        let crc = buffer.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[start..<(start + valueBytes)])) }
        buffer.appendInteger(crc, .littleEndian)
        buffer.appendInteger(UInt32(0), .littleEndian)
    }

    /// The fields of the entry in `bytes` (one whole entry, as read at ``position(of:)``), after
    /// checking its checksum; fields past ``fields`` are 0.
    func decode(_ bytes: [UInt8], ordinal: UInt64, path: String) throws(ShapeLogError) -> (UInt64, UInt64, UInt64) {
        guard bytes.count >= entrySize else { throw .corrupt(path: path, detail: "short entry \(ordinal)") }
        if isChecked {
            let stored = bytes.loadInteger(UInt32.self, at: valueBytes, .littleEndian)
            let computed = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<valueBytes])) }
            guard stored == computed else {
                throw .corrupt(path: path, detail: "checksum mismatch in entry \(ordinal) at byte \(position(of: ordinal))")
            }
        }
        func field(_ index: Int) -> UInt64 { index < fields ? bytes.loadInteger(UInt64.self, at: index * 8, .littleEndian) : 0 }
        return (field(0), field(1), field(2))
    }

    /// The table of the existing file whose header is `header`.
    func reading(header: [UInt8], path: String) throws(ShapeLogError) -> Self {
        let version = try ShapeLogFormat.checkFileHeader(header, magic: magic, path: path, versions: Self.versions)
        return Self(magic: magic, fields: fields, version: version)
    }
}
