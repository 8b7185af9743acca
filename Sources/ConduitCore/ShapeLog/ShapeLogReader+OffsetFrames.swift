extension ShapeLogReader {
    /// The entries after `request` in a version-3 change log (``ChangeLogLayout``): those of the
    /// first closed chunk whose last offset is above `request` (found in `changes.chunks`), or of
    /// the open chunk, from the first frame above `request` to the chunk's end.
    ///
    /// A request before the chunk's first entry (a client catching up chunk by chunk asks at the
    /// previous chunk's last offset) gets the whole chunk: one read of its first frame's header,
    /// the count from the chunk table's ordinals. Otherwise the first frame is found by walking the
    /// frames back from the chunk's end (``OffsetFrameWalk``), so the bytes looked at are those
    /// the response carries anyway: a live client a few entries behind reads a few frames.
    func offsetFramedRange(
        after request: LogOffset, log: PosixFile, header: [UInt8], layout: ChangeLogLayout, changes: ChangeLogCommittedState,
        last: LogOffset
    ) throws(ShapeLogError) -> ChangeRange? {
        let path = files.changeLog
        var chunkStart = try ChangeLogDocument.entriesStart(of: log, header: header, path: path)
        var end = changes.byteLength
        var lastOffset = last
        // Ordinals of the chunk's first entry and of the one after its last.
        var firstOrdinal: UInt64 = 0
        var endOrdinal = changes.entryCount
        if changes.closedChunkCount > 0 {
            guard let chunks = try openTable(files.changeChunks, layout.chunksTable) else {
                throw .corrupt(path: files.changeChunks, detail: "missing while chunks are committed")
            }
            func chunk(_ ordinal: UInt64) throws(ShapeLogError) -> (lastEntry: UInt64, end: UInt64, last: LogOffset) {
                let bytes = try ShapeLogIO.committedBytes(
                    chunks.file, at: chunks.table.position(of: ordinal), count: chunks.table.entrySize)
                let (lastEntry, end, tx, op) = try chunks.table.decode(bytes, ordinal: ordinal, path: files.changeChunks)
                return (lastEntry, end, LogOffset(tx: Int64(bitPattern: tx), op: op))
            }
            // The first closed chunk whose last entry is above the request.
            var low: UInt64 = 0
            var high = changes.closedChunkCount
            while low < high {
                let middle = low + (high - low) / 2
                if try chunk(middle).last > request { high = middle } else { low = middle + 1 }
            }
            if low < changes.closedChunkCount {
                let closing = try chunk(low)
                (end, lastOffset, endOrdinal) = (closing.end, closing.last, closing.lastEntry + 1)
            }
            if low > 0 {
                let previous = try chunk(low - 1)
                (chunkStart, firstOrdinal) = (previous.end, previous.lastEntry + 1)
            }
        }
        guard chunkStart < end, end <= changes.byteLength, firstOrdinal < endOrdinal, endOrdinal <= changes.entryCount else {
            throw .corrupt(
                path: files.changeChunks,
                detail: "chunk bounds \(chunkStart)..<\(end), entries \(firstOrdinal)..<\(endOrdinal) outside the committed log")
        }
        let first = try ShapeLogIO.committedBytes(log, at: chunkStart, count: ShapeLogFrameLayout.offsetFramed.headerSize)
        let firstOffset = LogOffset(
            tx: Int64(bitPattern: first.loadInteger(UInt64.self, at: 8, .littleEndian)),
            op: first.loadInteger(UInt64.self, at: 16, .littleEndian))
        if firstOffset > request {
            // The cursor checks every frame of the chunk and their count.
            return ChangeRange(start: chunkStart, end: end, entries: endOrdinal - firstOrdinal, lastOffset: lastOffset)
        }
        var walk = OffsetFrameWalk(file: log, path: path, lowerBound: chunkStart)
        let (start, entries) = try walk.firstFrame(after: request, end: end, lastOffset: lastOffset)
        guard entries > 0 else { return nil }
        return ChangeRange(start: start, end: end, entries: entries, lastOffset: lastOffset)
    }
}

/// Walks a version-3 change log's frames (``ShapeLogFrameLayout/offsetFramed``) backwards from a
/// frame boundary: each frame ends with its payload's length, so the frame before any boundary is
/// found from the 4 bytes before it. Reads the file in windows of 64 KiB from the end down.
///
/// Every frame's header must repeat its trailer's length and offsets must fall going back;
/// the frame the walk stops at is checksummed (the frames after it are checked by whoever reads
/// them), so a damaged byte is reported, never a response that starts in the wrong place.
struct OffsetFrameWalk {
    let file: PosixFile
    let path: String
    /// The walk never goes below this (the start of the chunk).
    let lowerBound: UInt64
    private var buffer: [UInt8] = []
    /// The file position of `buffer[0]`.
    private var bufferStart: UInt64 = 0

    static let window: UInt64 = 64 << 10

    init(file: PosixFile, path: String, lowerBound: UInt64) {
        self.file = file
        self.path = path
        self.lowerBound = lowerBound
    }

    /// Where the first frame of `[lowerBound, end)` with an offset above `request` starts, and how
    /// many frames lie from there to `end` (0 when none is above it). The last frame before `end`
    /// must be at `lastOffset`.
    mutating func firstFrame(after request: LogOffset, end: UInt64, lastOffset: LogOffset) throws(ShapeLogError)
        -> (position: UInt64, entries: UInt64)
    {
        let layout = ShapeLogFrameLayout.offsetFramed
        let smallest = UInt64(layout.frameSize(payload: 0))
        var position = end
        var entries: UInt64 = 0
        var following: LogOffset?
        while position > lowerBound {
            guard position - lowerBound >= smallest else {
                throw .corrupt(path: path, detail: "\(position - lowerBound) bytes before byte \(position) are no frame")
            }
            let trailer = try load(position - 4, position)
            let length = UInt64(buffer.loadInteger(UInt32.self, at: trailer, .littleEndian))
            guard length <= position - lowerBound - smallest else {
                throw .corrupt(path: path, detail: "the frame ending at byte \(position) would start before its chunk")
            }
            let frameStart = position - smallest - length
            let header = try load(frameStart, frameStart + UInt64(layout.headerSize))
            guard UInt64(buffer.loadInteger(UInt32.self, at: header, .littleEndian)) == length else {
                throw .corrupt(path: path, detail: "the frame at byte \(frameStart) does not end where its trailer says")
            }
            let offset = LogOffset(
                tx: Int64(bitPattern: buffer.loadInteger(UInt64.self, at: header + 8, .littleEndian)),
                op: buffer.loadInteger(UInt64.self, at: header + 16, .littleEndian))
            if let following, offset >= following {
                throw .corrupt(path: path, detail: "the frame at byte \(frameStart) is not before the next one (\(offset))")
            }
            if following == nil && offset != lastOffset {
                throw .corrupt(path: path, detail: "the last frame before byte \(end) is \(offset), committed \(lastOffset)")
            }
            if offset <= request {
                try checkFrame(at: frameStart, end: position)
                break
            }
            following = offset
            position = frameStart
            entries += 1
        }
        return (position, entries)
    }

    /// Verifies the checksum of the frame in `[start, end)`.
    private mutating func checkFrame(at start: UInt64, end: UInt64) throws(ShapeLogError) {
        let index = try load(start, end)
        _ = try buffer.withUnsafeBytes { bytes in
            Result { () throws(ShapeLogError) in
                try ShapeLogFormat.checkedFrame(
                    UnsafeRawBufferPointer(rebasing: bytes[index...]), at: 0, count: Int(end - start), layout: .offsetFramed,
                    path: path)
            }
        }.get()
    }

    /// Makes `[from, to)` of the file available in `buffer`; returns where `from` is in it.
    /// A new window ends at `to` and reaches back at least ``window`` bytes (not below
    /// ``lowerBound``), so the frames before are read with it.
    private mutating func load(_ from: UInt64, _ to: UInt64) throws(ShapeLogError) -> Int {
        if from >= bufferStart && to <= bufferStart + UInt64(buffer.count) { return Int(from - bufferStart) }
        let start = max(lowerBound, min(from, to >= Self.window ? to - Self.window : 0))
        buffer = try ShapeLogIO.committedBytes(file, at: start, count: Int(to - start))
        bufferStart = start
        return Int(from - start)
    }
}
