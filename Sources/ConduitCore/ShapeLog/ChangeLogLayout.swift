/// Which of its layouts a `changes.log` uses, read from its 8-byte file header.
///
/// | version | first frame | entry frames | where readers find an offset |
/// | --- | --- | --- | --- |
/// | 1 (earlier releases) | an entry | ``ShapeLogFrameLayout/plain`` | `changes.idx` |
/// | 2 (earlier releases) | the shape's document | ``ShapeLogFrameLayout/plain`` | `changes.idx` |
/// | 3 | the document when the header's flags byte (byte 5) has bit 0 set | ``ShapeLogFrameLayout/offsetFramed`` | the frames themselves, walked back from a known end |
///
/// Version 3 keeps each entry's offset in its frame and repeats the payload's length after it,
/// so a reader walks from the end of a response back to the request's offset without an index:
/// a shape is one file fewer (`changes.idx` is gone), and a group commit writes one file per
/// touched shape instead of two (issue 11). Its `changes.chunks` is version 3 too: each closed
/// chunk records its last entry's ordinal, end position and offset. Versions 1 and 2 are read and
/// appended in their own layout until their shape is dropped.
public struct ChangeLogLayout: Sendable, Hashable {
    public let version: UInt8
    /// The shape's document (``ChangeLogDocument``) is the log's first frame.
    public let hasDocument: Bool

    /// The version written for new logs.
    static let offsetFramedVersion: UInt8 = 3
    /// Bit 0 of a version-3 header's byte 5: the document is the first frame.
    private static let documentFlag: UInt8 = 1

    /// The layout of a new log: version 3, or the indexed layout of earlier releases (version 2
    /// with a document, 1 without) when `indexed` (tests of those logs).
    init(hasDocument: Bool, indexed: Bool = false) {
        self.hasDocument = hasDocument
        self.version = indexed ? (hasDocument ? 2 : 1) : Self.offsetFramedVersion
    }

    /// The layout named by `header`, a change log's header already checked by
    /// ``ShapeLogFormat/checkFileHeader(_:magic:path:versions:)``.
    init(header: [UInt8]) {
        self.version = header[4]
        self.hasDocument = version == 2 || (version >= Self.offsetFramedVersion && header[5] & Self.documentFlag != 0)
    }

    /// Entries' positions are in `changes.idx` (versions 1 and 2).
    public var isIndexed: Bool { version < Self.offsetFramedVersion }

    /// How entry frames are laid out (the document's frame is always ``ShapeLogFrameLayout/plain``).
    var entryFrames: ShapeLogFrameLayout { isIndexed ? .plain : .offsetFramed }

    /// The layout of this log's `changes.chunks`.
    var chunksTable: ShapeLogEntryTable {
        .changeChunks(version: isIndexed ? ShapeLogEntryTable.currentVersion : ShapeLogEntryTable.offsetChunksVersion)
    }

    /// The 8-byte file header of a new log in this layout.
    var fileHeader: [UInt8] {
        var header = ShapeLogFormat.fileHeader(magic: ShapeLogFormat.changeLogMagic, version: version)
        if version >= Self.offsetFramedVersion && hasDocument { header[5] = Self.documentFlag }
        return header
    }
}

/// How a shape log frames its entries (see ``ShapeLogFormat``).
///
/// Every frame starts with `length: u32` (payload bytes) and `crc: u32`. ``plain`` frames (the
/// snapshot log, the shape's document, change logs of versions 1 and 2) then hold the payload, and
/// the CRC-32C covers it. ``offsetFramed`` frames (change-log version 3) hold the entry's
/// ``LogOffset`` (`tx: u64`, `op: u64`) before the payload and `length: u32` again after it; the
/// CRC-32C covers the offset and the payload.
struct ShapeLogFrameLayout: Sendable, Hashable {
    /// Bytes before the payload.
    let headerSize: Int
    /// Bytes after the payload.
    let trailerSize: Int

    static let plain = Self(headerSize: 8, trailerSize: 0)
    static let offsetFramed = Self(headerSize: 24, trailerSize: 4)

    /// Bytes of a frame whose payload is `payload` bytes.
    func frameSize(payload: Int) -> Int { headerSize + payload + trailerSize }
}
