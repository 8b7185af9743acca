/// The on-disk layout of a shape log, shared by the writers (router) and the reader (serve).
///
/// A shape folder `<storage>/shapes/<handle>/` holds:
///
/// | file | written by | contents |
/// | --- | --- | --- |
/// | `shape.json` | router, once, in earlier releases | ``ShapeMetadata`` (now the first frame of `changes.log`, ``ChangeLogDocument``) |
/// | `snapshot.log` | ``SnapshotWriter`` | file header, two state slots (version 2, ``SnapshotStateSlots``), then one frame per snapshot entry (rows, then `snapshot-end`) |
/// | `snapshot.state` | ``SnapshotWriter`` | which snapshot chunks are complete (``SnapshotState``): version-1 logs, and snapshots of more chunks than a slot holds |
/// | `changes.log` | ``ChangeLogWriter`` | file header, the shape's document (``ChangeLogDocument``), then one frame per change entry carrying its offset (version 3, ``ChangeLogLayout``) |
/// | `changes.idx` | ``ChangeLogWriter`` | change logs of earlier releases (versions 1 and 2) only: file header, then one 32-byte checksummed entry per change entry |
/// | `changes.chunks` | ``ChangeLogWriter`` | file header, then one checksummed entry per closed chunk (40 bytes beside a version-3 log, 16 beside an earlier one) |
/// | `changes.state` | ``ChangeLogWriter`` | shapes created before ``ShapeStateTable`` only: the committed state (``ChangeLogCommittedState``) in two alternating slots (``ChangeLogStateFile``) |
///
/// A shape whose `shape.json` names a state record keeps its committed state in that record of
/// `shapes/.states` (``ShapeStateTable``) instead of `changes.state`. `.log`, `.idx` and
/// `.chunks` files are padded with zeros past their written end (``ChangeLogWriter``), so a file's
/// size says nothing about its contents.
///
/// Router's loop allocates one inode per new shape besides its folder (`changes.log`; the snapshot
/// worker makes `snapshot.log`), and a group commit writes one file per touched shape: the entry
/// frames carry their offsets, so no index has to be written beside them (issue 11).
///
/// All integers are **little-endian** and unsigned.
///
/// - **File header** (8 bytes, every `.log`/`.idx`/`.chunks` file): 4-byte ASCII magic
///   (`CSNP`, `CCHG`, `CIDX`, `CCHK`), version byte, a flags byte (`changes.log` version 3: bit 0
///   set when the document is its first frame), 2 zero bytes. `changes.log` is version 3
///   (``ChangeLogLayout``; versions 1 and 2 of earlier releases are still read and appended in
///   their own layout), `snapshot.log` version 2 (version 1, without state slots, is still read);
///   `changes.chunks` is version 3 beside a version-3 log; `.idx`/`.chunks` files of earlier
///   releases are version 2 (checksummed entries) or 1, read and appended in their own layout.
/// - **Frame** (`.log` files, ``ShapeLogFrameLayout``): `length: u32` (payload bytes), `crc: u32`,
///   then the payload: one JSON message exactly as it goes on the wire. A version-3 change log's
///   entry frames put the entry's offset (`tx: u64`, `op: u64`) between the CRC and the payload
///   and repeat `length: u32` after the payload, so a reader walks them backwards from any frame
///   boundary; their CRC-32C covers offset and payload (elsewhere, the payload).
/// - **Index entry** (`changes.idx`): `tx: u64`, `op: u64` (the entry's ``LogOffset``),
///   `position: u64` (byte offset of the entry's frame in `changes.log`), then in version 2
///   `crc: u32` (CRC-32C of those 24 bytes) and 4 zero bytes. Entry `i` is at byte `8 + 32·i`
///   (`8 + 24·i` in version 1), so a reader binary-searches offsets without touching the log.
/// - **Chunk entry** (`changes.chunks`): `lastEntry: u64`, the ordinal of the last entry of a
///   closed chunk (protocol.md §7.4), in version 3 also `end: u64` (where the chunk ends in
///   `changes.log`) and its last entry's offset (`tx: u64`, `op: u64`), then in versions 2 and 3
///   `crc: u32` and 4 zero bytes. Entry `c` is at byte `8 + 40·c` (version 3), `8 + 16·c`
///   (version 2) or `8 + 8·c` (version 1).
///
/// What a reader may assume: a state is published only after the bytes it describes are
/// written and flushed, so everything within the published bounds is complete and durable.
/// The snapshot's state is overwritten in place, one of two checksummed slots at a time
/// (``SnapshotStateSlots``), or `snapshot.state` is replaced atomically (temp, rename);
/// `changes.state` (or the shape's table record) is overwritten in place, one of two checksummed
/// slots at a time, and read by taking the valid slot with the higher sequence
/// (``ChangeLogStateFile``). Bytes beyond the
/// published bounds may be a concurrent append or a torn tail after a crash: a reader never
/// looks at them and never trusts a file's size. Frames are checksummed so that corruption
/// within bounds is detected, not served.
enum ShapeLogFormat {
    static let version: UInt8 = 1
    static let fileHeaderSize = 8
    static let frameHeaderSize = 8

    static let snapshotLogMagic: [UInt8] = Array("CSNP".utf8)
    static let changeLogMagic: [UInt8] = Array("CCHG".utf8)
    static let changeIndexMagic: [UInt8] = Array("CIDX".utf8)
    static let changeChunksMagic: [UInt8] = Array("CCHK".utf8)
    static let snapshotStateMagic: [UInt8] = Array("CSST".utf8)
    static let changeStateMagic: [UInt8] = Array("CCST".utf8)

    /// Write-through threshold for writer buffers: bounds a writer's memory regardless of the
    /// size of a transaction or snapshot, while still batching small entries into few writes.
    static let writeBufferBytes = 1 << 20

    static func fileHeader(magic: [UInt8], version: UInt8 = version) -> [UInt8] {
        magic + [version, 0, 0, 0]
    }

    /// The versions readers accept for the `.log` file with `magic`: `snapshot.log` is version 2
    /// (state slots after the header, ``SnapshotStateSlots``) or 1, `changes.log` version 3, 2 or 1
    /// (``ChangeLogLayout``).
    static func logVersions(_ magic: [UInt8]) -> ClosedRange<UInt8> {
        magic == snapshotLogMagic ? 1...SnapshotStateSlots.logVersion : 1...ChangeLogLayout.offsetFramedVersion
    }

    /// Checks the 8-byte header at the start of `bytes`; returns its version, one of `versions`.
    @discardableResult
    static func checkFileHeader(_ bytes: [UInt8], magic: [UInt8], path: String, versions: ClosedRange<UInt8> = version...version)
        throws(ShapeLogError) -> UInt8
    {
        guard bytes.count >= fileHeaderSize, Array(bytes[0..<4]) == magic else {
            throw .corrupt(path: path, detail: "bad file header")
        }
        guard versions.contains(bytes[4]) else { throw .corrupt(path: path, detail: "unsupported version \(bytes[4])") }
        return bytes[4]
    }

    /// Appends a frame holding `payload` to `buffer`.
    static func appendFrame(_ payload: [UInt8], to buffer: inout [UInt8]) {
        appendFrame(to: &buffer) { $0.append(contentsOf: payload) }
    }

    /// Appends a frame whose payload `render` appends to `buffer` itself (rendered in place, not
    /// in an array of its own that is then copied); returns the payload's size. The header is
    /// filled in once the payload is there. An ``ShapeLogFrameLayout/offsetFramed`` frame carries
    /// `offset` before the payload and repeats the length after it.
    @discardableResult
    static func appendFrame(
        to buffer: inout [UInt8], layout: ShapeLogFrameLayout = .plain, offset: LogOffset? = nil,
        payload render: (inout [UInt8]) -> Void
    ) -> Int {
        let header = beginFrame(in: &buffer, layout: layout, offset: offset)
        render(&buffer)
        return finishFrame(in: &buffer, at: header, layout: layout)
    }

    /// Appends the start of a frame (its header, to be filled in, and the offset of an
    /// ``ShapeLogFrameLayout/offsetFramed`` frame); returns where the frame starts. Everything
    /// appended after it is the payload, until ``finishFrame(in:at:layout:)``.
    static func beginFrame(in buffer: inout [UInt8], layout: ShapeLogFrameLayout, offset: LogOffset?) -> Int {
        precondition((layout.headerSize > frameHeaderSize) == (offset != nil), "an offset goes exactly in offset frames")
        let header = buffer.count
        buffer.appendInteger(UInt32(0), .littleEndian)
        buffer.appendInteger(UInt32(0), .littleEndian)
        if let offset {
            buffer.appendInteger(UInt64(bitPattern: offset.tx), .littleEndian)
            buffer.appendInteger(offset.op, .littleEndian)
        }
        return header
    }

    /// Ends the frame begun at `header` (``beginFrame(in:layout:offset:)``) with the rest of
    /// `buffer` as its payload: fills in the header (length and checksum) and appends the trailer.
    /// Returns the payload's size.
    @discardableResult
    static func finishFrame(in buffer: inout [UInt8], at header: Int, layout: ShapeLogFrameLayout) -> Int {
        let count = buffer.count - header - layout.headerSize
        buffer.withUnsafeMutableBytes { bytes in
            // The checksum covers everything after it up to the payload's end (the offset too).
            let covered = UnsafeRawBufferPointer(rebasing: bytes[(header + frameHeaderSize)...])
            bytes.storeInteger(UInt32(count), at: header, .littleEndian)
            bytes.storeInteger(CRC32C.checksum(covered), at: header + 4, .littleEndian)
        }
        if layout.trailerSize > 0 { buffer.appendInteger(UInt32(count), .littleEndian) }
        return count
    }

    /// Splits `bytes` (a whole number of frames) into payloads, verifying every checksum.
    static func parseFrames(_ bytes: [UInt8], layout: ShapeLogFrameLayout = .plain, path: String) throws(ShapeLogError)
        -> [ArraySlice<UInt8>]
    {
        try parseFrames(bytes, count: bytes.count, layout: layout, path: path)
    }

    /// Checks the frames in the first `count` bytes of `buffer` like ``parseFrames(_:count:layout:path:)``
    /// and rewrites the start of `buffer` to hold only their payloads joined by commas: how many
    /// bytes that is, and how many frames there were. In place: each payload moves down over its
    /// own header (replaced by one comma), so nothing is allocated.
    static func joinFrames(
        in buffer: UnsafeMutableRawBufferPointer,
        count: Int,
        layout: ShapeLogFrameLayout = .plain,
        path: String
    ) throws(ShapeLogError) -> (bytes: Int, frames: Int) {
        var frames = 0
        var written = 0
        var position = 0
        while position < count {
            let (start, length) = try checkedFrame(UnsafeRawBufferPointer(buffer), at: position, count: count, layout: layout, path: path)
            if frames > 0 {
                buffer[written] = UInt8(ascii: ",")
                written += 1
            }
            // copyMemory is a memmove: the payload may overlap where it goes.
            if length > 0 { (buffer.baseAddress! + written).copyMemory(from: buffer.baseAddress! + start, byteCount: length) }
            written += length
            frames += 1
            position = start + length + layout.trailerSize
        }
        return (written, frames)
    }

    /// Checks the frame at `position` of the first `count` bytes of `bytes` (its length within
    /// them, its checksum, and its trailer when the layout has one); returns where its payload
    /// starts and its length.
    @inline(__always)
    static func checkedFrame(
        _ bytes: UnsafeRawBufferPointer, at position: Int, count: Int, layout: ShapeLogFrameLayout, path: String
    ) throws(ShapeLogError) -> (start: Int, length: Int) {
        guard count - position >= layout.headerSize else {
            throw .corrupt(path: path, detail: "partial frame header inside committed range")
        }
        let length = Int(bytes.loadInteger(UInt32.self, at: position, .littleEndian))
        let checksum = bytes.loadInteger(UInt32.self, at: position + 4, .littleEndian)
        let start = position + layout.headerSize
        guard length <= count - start - layout.trailerSize else {
            throw .corrupt(path: path, detail: "frame longer than committed range")
        }
        // The checksum covers everything between the CRC and the payload's end (the offset too).
        let covered = UnsafeRawBufferPointer(rebasing: bytes[(position + frameHeaderSize)..<(start + length)])
        guard CRC32C.checksum(covered) == checksum else {
            throw .corrupt(path: path, detail: "checksum mismatch in frame at relative byte \(position)")
        }
        if layout.trailerSize > 0 && Int(bytes.loadInteger(UInt32.self, at: start + length, .littleEndian)) != length {
            throw .corrupt(path: path, detail: "frame trailer does not repeat its length at relative byte \(position)")
        }
        return (start, length)
    }

    /// The payloads of the frames in the first `count` bytes of `bytes` (slices of it: no copy).
    static func parseFrames(
        _ bytes: [UInt8], count: Int, layout: ShapeLogFrameLayout = .plain, path: String
    ) throws(ShapeLogError) -> [ArraySlice<UInt8>] {
        var payloads: [ArraySlice<UInt8>] = []
        var position = 0
        while position < count {
            let (start, length) = try bytes.withUnsafeBytes { raw in
                Result { () throws(ShapeLogError) in try checkedFrame(raw, at: position, count: count, layout: layout, path: path) }
            }.get()
            payloads.append(bytes[start..<(start + length)])
            position = start + length + layout.trailerSize
        }
        return payloads
    }
}

/// Which file names make up a shape folder (see ``ShapeLogFormat``).
public struct ShapeLogFiles: Sendable, Hashable {
    public var directory: String

    public init(directory: String) {
        var directory = directory
        while directory.count > 1 && directory.hasSuffix("/") { directory.removeLast() }
        self.directory = directory
    }

    public var metadata: String { directory + "/shape.json" }
    public var snapshotLog: String { directory + "/snapshot.log" }
    public var snapshotState: String { directory + "/snapshot.state" }
    public var changeLog: String { directory + "/changes.log" }
    public var changeIndex: String { directory + "/changes.idx" }
    public var changeChunks: String { directory + "/changes.chunks" }
    public var changeState: String { directory + "/changes.state" }
}
