/// What ``SnapshotWriter`` has published: the snapshot chunks that are complete.
///
/// Kept in the slots at the start of a version-2 `snapshot.log` (``SnapshotStateSlots``) while
/// they can hold it, otherwise in `snapshot.state`, whose layout (little-endian) is: magic `CSST`
/// (4 bytes), version (1 byte), flags (1 byte; bit 0 = the snapshot is complete, its last chunk
/// ends with `snapshot-end`; bit 1 = the log is version 2, its frames start after the slots), 2
/// zero bytes, `chunkCount: u32`, then `chunkCount` × `end: u64` (the byte offset in
/// `snapshot.log` just past chunk `i`'s last frame; chunk `i` starts where chunk `i-1` ends,
/// chunk 0 at ``framesStart``), then `crc: u32`, the CRC-32C of every preceding byte.
public struct SnapshotState: Sendable, Hashable {
    /// End byte offset of each complete chunk; chunk `i` is the client-visible offset `0_i`.
    public var chunkEnds: [UInt64]
    /// True once `snapshot-end` is written: no more chunks will appear.
    public var isComplete: Bool
    /// Where chunk 0 starts in `snapshot.log`: after the file header (version 1) or after the
    /// state slots (version 2).
    public var framesStart: UInt64

    /// A state of a version-1 log (frames right after the 8-byte header).
    public init(chunkEnds: [UInt64], isComplete: Bool) {
        self.init(chunkEnds: chunkEnds, isComplete: isComplete, framesStart: UInt64(ShapeLogFormat.fileHeaderSize))
    }

    init(chunkEnds: [UInt64], isComplete: Bool, framesStart: UInt64) {
        self.chunkEnds = chunkEnds
        self.isComplete = isComplete
        self.framesStart = framesStart
    }

    func encoded() -> [UInt8] {
        let flags: UInt8 = (isComplete ? 1 : 0) | (framesStart == SnapshotStateSlots.framesStart ? 2 : 0)
        var bytes = ShapeLogFormat.snapshotStateMagic + [ShapeLogFormat.version, flags, 0, 0]
        bytes.appendInteger(UInt32(chunkEnds.count), .littleEndian)
        for end in chunkEnds { bytes.appendInteger(end, .littleEndian) }
        bytes.appendInteger(CRC32C.checksum(bytes), .littleEndian)
        return bytes
    }

    init(decoding bytes: [UInt8], path: String) throws(ShapeLogError) {
        try ShapeLogState.checkStateBytes(bytes, magic: ShapeLogFormat.snapshotStateMagic, minimumSize: 16, path: path)
        let count = Int(bytes.loadInteger(UInt32.self, at: 8, .littleEndian))
        guard bytes.count == 16 + 8 * count else { throw .corrupt(path: path, detail: "chunk count does not match size") }
        self.isComplete = bytes[5] & 1 == 1
        self.framesStart = bytes[5] & 2 == 2 ? SnapshotStateSlots.framesStart : UInt64(ShapeLogFormat.fileHeaderSize)
        self.chunkEnds = (0..<count).map { bytes.loadInteger(UInt64.self, at: 12 + 8 * $0, .littleEndian) }
    }
}

/// What ``ChangeLogWriter`` last committed: the only bounds a reader may serve from.
///
/// Stored in `changes.state` as one of two alternating slots; the byte layout is documented on
/// ``ChangeLogStateFile``.
public struct ChangeLogCommittedState: Sendable, Hashable {
    /// Committed length of `changes.log`, including its 8-byte header (and, in version 2, the
    /// shape's document).
    public var byteLength: UInt64
    /// Committed entries in `changes.idx`.
    public var entryCount: UInt64
    /// Committed entries in `changes.chunks` (closed chunks).
    public var closedChunkCount: UInt64
    /// Offset of the last committed entry, nil when there is none.
    public var latest: LogOffset?
    /// The commit LSN of the last transaction router applied to this shape (whether or not it
    /// produced entries). Replay skips transactions at or below it, which makes replay idempotent.
    public var appliedThroughLSN: LSN
    /// Bytes counted towards the still-open chunk, so chunking resumes exactly after a restart.
    public var openChunkBytes: UInt64

    /// A version-1 log's state before its first commit: its header, no entries.
    public static let empty = empty(entriesStart: UInt64(ShapeLogFormat.fileHeaderSize))

    /// The state of a log with no entries, whose first entry would start at `entriesStart` (after
    /// the header, and the shape's document in a version-2 log).
    public static func empty(entriesStart: UInt64) -> ChangeLogCommittedState {
        ChangeLogCommittedState(
            byteLength: entriesStart,
            entryCount: 0,
            closedChunkCount: 0,
            latest: nil,
            appliedThroughLSN: .zero,
            openChunkBytes: 0
        )
    }

    public init(
        byteLength: UInt64,
        entryCount: UInt64,
        closedChunkCount: UInt64,
        latest: LogOffset?,
        appliedThroughLSN: LSN,
        openChunkBytes: UInt64
    ) {
        self.byteLength = byteLength
        self.entryCount = entryCount
        self.closedChunkCount = closedChunkCount
        self.latest = latest
        self.appliedThroughLSN = appliedThroughLSN
        self.openChunkBytes = openChunkBytes
    }
}

/// Everything a reader needs to answer a request: both published states, read once per request.
public struct ShapeLogState: Sendable, Hashable {
    public var snapshot: SnapshotState
    public var changes: ChangeLogCommittedState

    public init(snapshot: SnapshotState, changes: ChangeLogCommittedState) {
        self.snapshot = snapshot
        self.changes = changes
    }

    /// The shape's latest offset (protocol.md §7.5): the last change entry once the snapshot is
    /// complete, otherwise the last published snapshot chunk `0_N`; nil before chunk 0 exists.
    public var latest: LogOffset? {
        if snapshot.isComplete, let last = changes.latest { return last }
        guard !snapshot.chunkEnds.isEmpty else { return nil }
        return LogOffset(tx: 0, op: UInt64(snapshot.chunkEnds.count - 1))
    }

    /// The commit LSN of the last change entry, if any (fallback for `global_last_seen_lsn`).
    public var lastChangeLSN: LSN? {
        guard let last = changes.latest, last.tx > 0 else { return nil }
        return LSN(UInt64(bitPattern: last.tx))
    }

    static func checkStateBytes(_ bytes: [UInt8], magic: [UInt8], minimumSize: Int, path: String) throws(ShapeLogError) {
        guard bytes.count >= minimumSize else { throw .corrupt(path: path, detail: "state file too short") }
        try ShapeLogFormat.checkFileHeader(bytes, magic: magic, path: path)
        let body = bytes[0..<(bytes.count - 4)]
        guard CRC32C.checksum(body) == bytes.loadInteger(UInt32.self, at: bytes.count - 4, .littleEndian) else {
            throw .corrupt(path: path, detail: "state checksum mismatch")
        }
    }
}
