import ConduitCore

/// Reads the spool in log order, one frame at a time, never past a published durable position.
///
/// Used by router: open a cursor at a segment (or at a checkpointed position), then call
/// ``nextRecords(upTo:)`` with the latest ``SpoolDurablePosition`` from ingest until it returns
/// nil (caught up). The cursor moves on to the next segment by itself once the current one is
/// exhausted and the limit lies in a later segment.
///
/// Guarantees:
/// - Memory: one compressed and one decompressed frame at a time (records are slices of the latter).
/// - Never reads bytes at or past `limit`: the file size is not trusted.
/// - A bad magic, length, checksum or a missing byte before the limit is a
///   ``SpoolError/corruptFrame(path:offset:reason:)``, not the end of data.
/// - Moving to the next segment checks the chain: it must name the segment just read as its
///   predecessor and the stream position that segment ended at, and a new stream epoch must
///   start with its reset frame; anything else is a ``SpoolError/segmentGap(directory:after:next:reason:)``
///   (a missing segment is never skipped).
/// - When opened in the middle of a segment, the schema in force there (the segment's schema frame
///   plus later Relation/Type messages before the position) is returned first, so the Relation
///   messages needed to decode the rest are always seen.
///
/// - Important: not `Sendable`; one owner (router's spool task).
public final class SpoolReader {
    public let directory: String
    private let decompressor: ZstdDecompressor
    private var cursor: Cursor?

    private struct Cursor {
        var segment: LSN
        var file: PosixFile
        var header: SpoolSegmentHeader
        var offset: UInt64
        /// Set when opened mid-segment: the schema frame still has to be delivered (and the stream
        /// position before the cursor computed).
        var schemaReplayPending: Bool
        /// The stream position after the frames read so far (checked against the next segment's
        /// header); nil while unknown.
        var streamPosition: LSN?

        var headerEnd: UInt64 { UInt64(header.size) }
    }

    /// A reader over the spool in `directory` (normally `<storage>/spool`). Opens no file yet.
    public init(directory: String) throws(SpoolError) {
        self.directory = directory
        do throws(ZstdError) {
            self.decompressor = try ZstdDecompressor()
        } catch {
            throw .compression(path: directory, offset: 0, error: error)
        }
    }

    /// Base LSNs of all segments, in log order.
    public func segments() throws(SpoolError) -> [LSN] {
        try SpoolDirectory.segments(in: directory)
    }

    /// The position the next frame will be read from, if a cursor is open.
    public var position: SpoolPosition? {
        cursor.map { SpoolPosition(segment: $0.segment, offset: $0.offset) }
    }

    /// Positions the cursor at the first frame of `segment`.
    public func openCursor(segment: LSN) throws(SpoolError) {
        cursor = try makeCursor(segment: segment, offset: nil, replaySchema: false)
    }

    /// Positions the cursor at a frame boundary previously returned as a ``SpoolBatch/end``
    /// (for example router's checkpoint). If that is past the segment's first frame, the first
    /// ``nextRecords(upTo:)`` call returns a schema batch (``SpoolBatch/isSchema``): the latest
    /// Type and Relation message per id as of `position`, before continuing there.
    public func openCursor(at position: SpoolPosition) throws(SpoolError) {
        cursor = try makeCursor(segment: position.segment, offset: position.offset, replaySchema: true)
    }

    /// A cursor at `offset` of `segment` (nil: its first frame). With `replaySchema`, a cursor
    /// past the first frame delivers the schema in force there first.
    private func makeCursor(segment: LSN, offset: UInt64?, replaySchema: Bool) throws(SpoolError) -> Cursor {
        let path = SpoolDirectory.path(of: segment, in: directory)
        guard FileSystem.exists(path) else { throw .segmentNotFound(path: path) }
        let file = try withFileErrors { () throws(FileError) in try PosixFile.openForReading(path) }
        let header = try SpoolSegmentHeader.read(from: file)
        guard header.base == segment else {
            throw .corruptSegmentHeader(path: path, reason: "header base LSN \(header.base) does not match the file name")
        }
        let headerEnd = UInt64(header.size)
        let start = max(offset ?? headerEnd, headerEnd)
        return Cursor(
            segment: segment, file: file, header: header, offset: start, schemaReplayPending: replaySchema && start > headerEnd,
            streamPosition: start == headerEnd ? header.startPosition : nil)
    }

    /// The next frame's records, or nil when the cursor has reached `limit`.
    ///
    /// - Throws: ``SpoolError/noCursor`` before ``openCursor(segment:)``; ``SpoolError`` on
    ///   corruption before the limit, a missing segment, or a limit that is not a frame boundary.
    public func nextRecords(upTo limit: SpoolDurablePosition) throws(SpoolError) -> SpoolBatch? {
        guard var current = cursor else { throw .noCursor }
        if current.schemaReplayPending {
            current.schemaReplayPending = false
            let (schema, position) = try schemaReplay(of: current)
            current.streamPosition = position
            cursor = current
            if let schema { return schema }
        }
        while true {
            let here = SpoolPosition(segment: current.segment, offset: current.offset)
            if here >= limit.position { return nil }
            let limitInThisSegment = current.segment == limit.segment
            let read = try withFileErrors { () throws(FileError) in
                try SpoolFrameCodec.readFrame(
                    from: current.file, at: current.offset, fileSize: try current.file.size(),
                    limit: limitInThisSegment ? limit.offset : nil)
            }
            switch read {
            case .endOfFile:
                if limitInThisSegment {
                    throw .limitMismatch(
                        path: current.file.path, offset: current.offset, limit: limit, reason: "the segment ends before the limit")
                }
                current = try nextSegment(after: current)
                cursor = current
            case .invalid(let reason):
                throw .corruptFrame(path: current.file.path, offset: current.offset, reason: reason)
            case .crossesLimit(let end):
                throw .limitMismatch(
                    path: current.file.path, offset: current.offset, limit: limit,
                    reason: "a frame crosses the limit (frame ends at \(end))")
            case .frame(let header, let compressed):
                let end = current.offset + UInt64(header.totalSize)
                let batch = try makeBatch(header: header, compressed: compressed, cursor: current, end: end)
                current.offset = end
                if let position = header.lastCommitEnd { current.streamPosition = position }
                cursor = current
                return batch
            }
        }
    }

    /// The schema in force at the cursor: the latest Type and Relation message per id among the
    /// segment's frames before the cursor (its schema frame and any schema changes after it),
    /// as one batch of kind-``SpoolRecordKind/schema`` records. Nil if there are none.
    ///
    /// Also returns the stream position at the cursor (the last frame's position before it).
    /// Costs one decompression of the segment's prefix, once per ``openCursor(at:)``.
    private func schemaReplay(of current: Cursor) throws(SpoolError) -> (SpoolBatch?, LSN?) {
        let headerEnd = current.headerEnd
        var offset = headerEnd
        var position = current.header.startPosition
        var schema = SpoolSchemaCache()
        let fileSize = try withFileErrors { () throws(FileError) in try current.file.size() }
        while offset < current.offset {
            let read = try withFileErrors { () throws(FileError) in
                try SpoolFrameCodec.readFrame(from: current.file, at: offset, fileSize: fileSize, limit: current.offset)
            }
            switch read {
            case .endOfFile, .crossesLimit:
                throw .limitMismatch(
                    path: current.file.path, offset: offset,
                    limit: SpoolDurablePosition(segment: current.segment, offset: current.offset, commitEndLSN: .zero),
                    reason: "the cursor position is not a frame boundary of this segment")
            case .invalid(let reason):
                throw .corruptFrame(path: current.file.path, offset: offset, reason: reason)
            case .frame(let header, let compressed):
                if let end = header.lastCommitEnd { position = end }
                let records = try SpoolFrameReading.decompressRecords(
                    compressed: compressed, header: header, decompressor: decompressor, path: current.file.path, offset: offset)
                for record in records where record.tag == PgOutputMessage.Tag.relation || record.tag == PgOutputMessage.Tag.type {
                    do throws(PgOutputDecodingError) {
                        try schema.observe(lsn: record.lsn, message: record.payload)
                    } catch {
                        throw .corruptFrame(
                            path: current.file.path, offset: offset, reason: "stored schema message at \(record.lsn) is malformed: \(error)"
                        )
                    }
                }
                offset += UInt64(header.totalSize)
            }
        }
        guard !schema.isEmpty else { return (nil, position) }
        let records = schema.replayEntries().map { SpoolRecord(kind: .schema, lsn: $0.lsn, payload: $0.bytes[...]) }
        let batch = SpoolBatch(
            records: records,
            start: SpoolPosition(segment: current.segment, offset: headerEnd),
            end: SpoolPosition(segment: current.segment, offset: current.offset),
            endsAtTransactionBoundary: true,
            isSchema: true,
            lastCommitEndLSN: nil
        )
        return (batch, position)
    }

    private func makeBatch(header: SpoolFrameHeader, compressed: [UInt8], cursor current: Cursor, end: UInt64) throws(SpoolError)
        -> SpoolBatch
    {
        let records = try SpoolFrameReading.decompressRecords(
            compressed: compressed, header: header, decompressor: decompressor, path: current.file.path, offset: current.offset)
        return SpoolBatch(
            records: records,
            start: SpoolPosition(segment: current.segment, offset: current.offset),
            end: SpoolPosition(segment: current.segment, offset: end),
            endsAtTransactionBoundary: header.flags.contains(.endsAtBoundary),
            isSchema: header.flags.contains(.schema),
            lastCommitEndLSN: header.lastCommitEnd
        )
    }

    /// A cursor at the first frame of the segment following `previous`, after checking that it
    /// really is the next one (see the type's guarantees).
    ///
    /// The following segment's schema frame is skipped: the reader has already seen every
    /// Relation it repeats, since it read the whole previous segment.
    private func nextSegment(after previous: Cursor) throws(SpoolError) -> Cursor {
        guard let next = try segments().first(where: { $0 > previous.segment }) else {
            throw .missingSegment(directory: directory, after: previous.segment)
        }
        var opened = try makeCursor(segment: next, offset: nil, replaySchema: false)
        try checkLink(from: previous, to: opened)
        let read = try withFileErrors { () throws(FileError) in
            try SpoolFrameCodec.readFrame(from: opened.file, at: opened.offset, fileSize: try opened.file.size())
        }
        if case .frame(let header, _) = read, header.flags.contains(.schema) {
            opened.offset += UInt64(header.totalSize)
        }
        if opened.header.startsEpoch {
            guard case .frame(let header, _) = read, header.flags.contains(.streamReset) else {
                throw .corruptFrame(
                    path: opened.file.path, offset: opened.offset,
                    reason: "a segment that starts a stream epoch does not begin with its reset frame")
            }
        }
        return opened
    }

    /// The chain check between two consecutive segment files.
    private func checkLink(from previous: Cursor, to next: Cursor) throws(SpoolError) {
        func gap(_ reason: String) -> SpoolError {
            .segmentGap(directory: directory, after: previous.segment, next: next.segment, reason: reason)
        }
        if let link = next.header.previousSegment, link != previous.segment {
            throw gap("it follows segment \(link.paddedHex), which is missing")
        }
        if next.header.previousCommitEnd != previous.streamPosition {
            let expected = previous.streamPosition.map { "\($0)" } ?? "none"
            let found = next.header.previousCommitEnd.map { "\($0)" } ?? "none"
            throw gap("it continues the stream from \(found), the previous segment ends at \(expected)")
        }
        if let before = previous.header.epoch?.number, let after = next.header.epoch?.number,
            after < before || (after > before && !next.header.startsEpoch)
        {
            throw gap("stream epoch goes from \(before) to \(after) without a stream reset")
        }
    }
}
