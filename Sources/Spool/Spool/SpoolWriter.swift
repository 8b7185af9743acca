import ConduitCore
import Logging

/// Appends replication messages to the spool in zstd frames and makes them durable at commit
/// boundaries (group commit). Used by ingest from one thread.
///
/// Lifecycle:
/// 1. `init` opens or creates the directory and recovers: the last segment is cut back to its last
///    valid frame that ends at a transaction boundary (see ``SpoolFormat``), and
///    ``lastCommitEndLSN`` plus the relation cache are rebuilt. Replication resumes from
///    ``lastCommitEndLSN``.
/// 2. ``append(lsn:message:)`` copies each message into a pending batch. Once the batch reaches
///    `frameTargetBytes` (1 MiB) it is compressed and written as a frame, without fsync, so a
///    huge transaction never sits in memory.
/// 3. After appending a Commit, ingest calls ``commitBoundaryFlush()`` whenever it wants
///    durability: the batch becomes a boundary frame, the segment is fsynced, and the returned
///    ``SpoolDurablePosition`` may be published to router and confirmed to PostgreSQL.
///
/// Duplicates: after a restart PostgreSQL may send again transactions already in the spool. The
/// writer drops (and reports as ``SpoolAppendResult/skippedDuplicate``) every message of a
/// transaction whose `Begin.finalLSN` is below ``lastCommitEndLSN``: commit records are written in
/// commit order, so such a transaction's commit ended at or before that LSN.
///
/// Reconnects: if the stream restarts inside a transaction, the partial copy is discarded when the
/// next Begin arrives (or by ``discardOpenTransaction()``), so the re-sent transaction is stored once.
///
/// Epochs: ``beginEpoch(_:reset:)`` starts a new segment for a new (or newly identified) stream;
/// with a ``SpoolStreamReset`` its first frame tells every reader that continuity was lost there.
/// ``recordPosition(_:)`` records an acknowledged WAL end between transactions, so that what is
/// confirmed to PostgreSQL is always a position the spool itself holds.
///
/// - Important: not `Sendable`; one owner. After a failed write or fsync the writer refuses all
///   further calls (``SpoolError/writerFailed(_:)``): a retried fsync can report success for data
///   the kernel already dropped. Create a new writer; recovery restores a consistent spool.
///   Nothing is written on `deinit`: pending records were never durable and are simply lost.
public final class SpoolWriter {
    public let directory: String
    public let segmentTargetBytes: Int
    public let compressionLevel: Int
    public let frameTargetBytes: Int
    let logger: Logger
    let compressor: ZstdCompressor
    /// Compresses mid-transaction frames off the caller's thread; drained before anything that
    /// needs the file's exact size (boundary frames, syncs, truncation, rotation).
    let pipeline: FrameCompressionPipeline

    var segment: SpoolSegmentFile?
    var schema: SpoolSchemaCache
    var pending: [UInt8] = []
    var pendingRecordCount = 0
    var pendingFirstLSN: LSN?
    var pendingLastCommitEnd: LSN?
    private var lastAppendedLSN: LSN?
    var inTransaction = false
    var skippingDuplicate = false
    var hasUnsyncedBytes = false
    /// The stream position when the current segment was opened (rotation needs progress past it).
    var segmentStartPosition: LSN?
    /// The write or fsync failure that made this writer unusable.
    var failure: SpoolError?
    /// Segment size and last commit end after the last frame that ended at a transaction boundary.
    var boundaryFileEnd: UInt64 = 0
    var boundaryCommitEnd: LSN?
    var boundaryTransactionEnd: LSN?
    /// Pending bytes and records up to the last Commit appended to the current batch.
    var pendingBoundaryBytes = 0
    var pendingBoundaryRecords = 0

    /// The spool's stream position: the end LSN of the last Commit appended (durable or not), or
    /// a later recorded position or epoch start; after `init`, the last one in the spool. The
    /// resume point for replication.
    public internal(set) var lastCommitEndLSN: LSN?
    /// End LSN of the last transaction (or the start of the epoch after a reset) appended; unlike
    /// ``lastCommitEndLSN`` never a recorded keepalive position. What router can have consumed.
    public internal(set) var lastTransactionEndLSN: LSN?
    /// The stream epoch of the current segment; nil for an empty or version-1 spool.
    public internal(set) var epoch: SpoolEpoch?
    /// A damaged tail recovery left in place; see ``resolveTail(confirmedFlush:)``.
    public internal(set) var unresolvedTail: SpoolTailDamage?
    /// The position returned by the last successful fsync (or found by recovery), if any commit is durable.
    public internal(set) var durablePosition: SpoolDurablePosition?
    /// Frame bytes written to segment files (headers included).
    public internal(set) var compressedBytesWritten: UInt64 = 0
    /// Record bytes (13-byte record headers plus messages) that went into frames.
    public internal(set) var uncompressedBytesWritten: UInt64 = 0
    /// Messages dropped because their transaction was already in the spool.
    public private(set) var duplicateMessagesSkipped: UInt64 = 0

    /// Whether the last appended message ended a transaction (or none is open), so a flush is allowed.
    public var isAtTransactionBoundary: Bool { !inTransaction && !skippingDuplicate }
    /// Uncompressed bytes buffered and not yet written as a frame. Bounded by `frameTargetBytes`
    /// plus one message.
    public var pendingBytes: Int { pending.count }
    /// Base LSN of the segment being appended to, if one exists.
    public var currentSegment: LSN? { segment?.base }
    /// Whether the spool holds no segment at all.
    public var isEmpty: Bool { segment == nil }
    /// The latest Relation message per relation id (recovered, then kept up to date).
    public var relations: [UInt32: PgOutputMessage.Relation] { schema.relations }
    /// The latest Type message per type oid.
    public var types: [UInt32: PgOutputMessage.TypeMessage] { schema.types }

    /// Opens the spool in `directory` (created if missing) and recovers its tail.
    ///
    /// - Parameters:
    ///   - directory: the spool directory itself, normally `<storage>/spool`.
    ///   - segmentTargetBytes: a segment is closed at the first commit boundary after it reaches this size.
    ///   - compressionLevel: zstd level for frames.
    ///   - frameTargetBytes: pending uncompressed bytes that trigger writing a frame.
    /// - Throws: ``SpoolError`` if the directory cannot be used or a segment is corrupt beyond a torn tail.
    public init(
        directory: String,
        segmentTargetBytes: Int = 64 << 20,
        compressionLevel: Int = ZstdCompressor.defaultLevel,
        frameTargetBytes: Int = 1 << 20,
        logger: Logger
    ) throws(SpoolError) {
        self.directory = directory
        self.segmentTargetBytes = max(segmentTargetBytes, 1)
        self.compressionLevel = compressionLevel
        self.frameTargetBytes = max(frameTargetBytes, 1)
        self.logger = logger
        do throws(ZstdError) {
            self.compressor = try ZstdCompressor()
            self.pipeline = try FrameCompressionPipeline(level: compressionLevel)
        } catch {
            throw .compression(path: directory, offset: 0, error: error)
        }
        let recovered = try SpoolRecovery.recover(directory: directory, logger: logger)
        self.segment = recovered.segment
        self.schema = recovered.schema
        self.lastCommitEndLSN = recovered.lastCommitEnd
        self.lastTransactionEndLSN = recovered.lastTransactionEnd
        self.boundaryTransactionEnd = recovered.lastTransactionEnd
        self.epoch = recovered.header?.epoch
        self.unresolvedTail = recovered.unresolvedTail
        self.segmentStartPosition = recovered.header?.startPosition
        if let segment = recovered.segment, let commit = recovered.lastCommitEnd {
            self.durablePosition = SpoolDurablePosition(segment: segment.base, offset: segment.size, commitEndLSN: commit)
        }
        self.boundaryFileEnd = recovered.segment?.size ?? 0
        self.boundaryCommitEnd = recovered.lastCommitEnd
        pending.reserveCapacity(self.frameTargetBytes + self.frameTargetBytes / 4)
    }

    /// Appends one pgoutput message received at `lsn` (the XLogData dataStart), copying its bytes.
    ///
    /// Begin, Commit, Relation and Type messages are decoded (to track transactions, the resume
    /// LSN and the schema); all others are stored without inspection beyond the tag.
    /// - Returns: whether the message was stored or dropped as part of an already-spooled transaction.
    /// - Throws: ``SpoolError`` on a malformed tracked message or a failed frame write.
    @discardableResult
    public func append(lsn: LSN, message: UnsafeRawBufferPointer) throws(SpoolError) -> SpoolAppendResult {
        guard let tag = message.first else {
            throw .undecodableMessage(lsn: lsn, error: PgOutputDecodingError(tag: 0, offset: 0, reason: .empty))
        }
        guard message.count <= Int(UInt32.max) else { throw .messageTooLarge(lsn: lsn, size: message.count) }
        try checkUsable()
        if tag == PgOutputMessage.Tag.begin && (inTransaction || skippingDuplicate) {
            // The stream restarted (ingest reconnected) in the middle of a transaction.
            logger.warning("Begin inside an open transaction; discarding its partial data", metadata: [LogKey.lsn: "\(lsn)"])
            try discardOpenTransaction()
        }
        if skippingDuplicate {
            if tag == PgOutputMessage.Tag.commit { skippingDuplicate = false }
            duplicateMessagesSkipped += 1
            return .skippedDuplicate
        }
        do throws(PgOutputDecodingError) {
            switch tag {
            case PgOutputMessage.Tag.begin:
                var reader = ByteReader(message, tag: tag, offset: 1)
                let begin = try PgOutputMessage.Begin.decode(&reader)
                try reader.expectEnd()
                if let last = lastCommitEndLSN, begin.finalLSN < last {
                    skippingDuplicate = true
                    duplicateMessagesSkipped += 1
                    logger.debug("Skipping transaction already in the spool", metadata: [LogKey.lsn: "\(begin.finalLSN)"])
                    return .skippedDuplicate
                }
                inTransaction = true
            case PgOutputMessage.Tag.commit:
                var reader = ByteReader(message, tag: tag, offset: 1)
                let commit = try PgOutputMessage.Commit.decode(&reader)
                try reader.expectEnd()
                inTransaction = false
                lastCommitEndLSN = commit.endLSN
                lastTransactionEndLSN = commit.endLSN
                pendingLastCommitEnd = commit.endLSN
                pendingBoundaryBytes = pending.count + SpoolFormat.recordHeaderSize + message.count
                pendingBoundaryRecords = pendingRecordCount + 1
            case PgOutputMessage.Tag.relation, PgOutputMessage.Tag.type:
                try schema.observe(lsn: lsn, message: message)
            default:
                break
            }
        } catch {
            throw .undecodableMessage(lsn: lsn, error: error)
        }
        if pendingFirstLSN == nil { pendingFirstLSN = lsn }
        SpoolFrameCodec.appendRecord(kind: .pgoutput, lsn: lsn, message: message, to: &pending)
        pendingRecordCount += 1
        lastAppendedLSN = lsn
        if pending.count >= frameTargetBytes {
            try failing { () throws(SpoolError) in try writePendingFrame() }
        }
        return .appended
    }

    /// Drops everything appended since the last transaction boundary, so a transaction that the
    /// server will send again (after a reconnect) is not stored twice.
    ///
    /// Pending records after the last Commit are discarded. If frames were already written for the
    /// open transaction, the segment is truncated back to the last boundary frame; complete but
    /// unflushed transactions in those frames are dropped too and ``lastCommitEndLSN`` moves back
    /// accordingly, so resume replication from it. Called automatically when a Begin arrives
    /// inside an open transaction. Nothing durable is ever removed.
    public func discardOpenTransaction() throws(SpoolError) {
        try checkUsable()
        try failing { () throws(SpoolError) in try writeCompressedFrames(leavingAtMost: 0) }
        defer {
            inTransaction = false
            skippingDuplicate = false
        }
        if let segment, segment.size > boundaryFileEnd {
            try failing { () throws(SpoolError) in
                try withFileErrors { () throws(FileError) in try segment.file.truncate(to: boundaryFileEnd) }
            }
            self.segment?.size = boundaryFileEnd
            lastCommitEndLSN = boundaryCommitEnd
            lastTransactionEndLSN = boundaryTransactionEnd
            pendingBoundaryBytes = 0
            pendingBoundaryRecords = 0
            pendingLastCommitEnd = nil
        }
        pending.removeSubrange(pendingBoundaryBytes...)
        pendingRecordCount = pendingBoundaryRecords
        if pendingRecordCount == 0 { pendingFirstLSN = nil }
    }

    /// Appends one message held in an array. See ``append(lsn:message:)-(_,UnsafeRawBufferPointer)``.
    @discardableResult
    public func append(lsn: LSN, message: [UInt8]) throws(SpoolError) -> SpoolAppendResult {
        let result = message.withUnsafeBytes { raw in
            Result { () throws(SpoolError) -> SpoolAppendResult in try append(lsn: lsn, message: raw) }
        }
        return try result.get()
    }

    /// Group commit: writes the pending batch as a boundary frame, fsyncs the segment, and returns
    /// what is now durable. Rotates to a new segment afterwards if the current one reached
    /// `segmentTargetBytes`; the returned position then points just past the new segment's schema
    /// frame (same `commitEndLSN`).
    ///
    /// - Returns: the durable position, or nil if the spool holds no Commit yet.
    /// - Throws: ``SpoolError/notAtTransactionBoundary(lastLSN:)`` if a transaction is open;
    ///   ``SpoolError`` if a write or fsync fails (then discard this writer).
    @discardableResult
    public func commitBoundaryFlush() throws(SpoolError) -> SpoolDurablePosition? {
        try checkUsable()
        guard isAtTransactionBoundary else { throw .notAtTransactionBoundary(lastLSN: lastAppendedLSN) }
        return try failing { () throws(SpoolError) in try flushAndSync() }
    }

    /// Group commit without waiting for the disk: writes the pending batch as a boundary frame
    /// and returns the position that is durable once the segment file is fsync'd — which the
    /// caller does on another thread (``SpoolSyncer``), so reading the replication stream never
    /// stalls on fsync. When the segment is due for rotation this falls back to
    /// ``commitBoundaryFlush()`` (fsync here, then rotate), so a finished segment is always
    /// durable before the next one starts.
    ///
    /// - Returns: the position to sync, or nil if the spool holds no Commit yet.
    public func writeCommitBoundary() throws(SpoolError) -> SpoolDurablePosition? {
        try checkUsable()
        guard isAtTransactionBoundary else { throw .notAtTransactionBoundary(lastLSN: lastAppendedLSN) }
        try failing { () throws(SpoolError) in try writeCompressedFrames(leavingAtMost: 0) }
        if let segment, segment.size >= UInt64(segmentTargetBytes) {
            return try failing { () throws(SpoolError) in try flushAndSync() }
        }
        return try failing { () throws(SpoolError) -> SpoolDurablePosition? in
            try writePendingFrame()
            guard let segment, let commit = lastCommitEndLSN else { return nil }
            return SpoolDurablePosition(segment: segment.base, offset: segment.size, commitEndLSN: commit)
        }
    }

    /// Throws if an earlier failure made the writer unusable, or a damaged tail is unresolved.
    func checkUsable() throws(SpoolError) {
        if let failure { throw .writerFailed("\(failure)") }
        if let tail = unresolvedTail { throw .unresolvedTail(path: tail.path, offset: tail.offset) }
    }

    /// Runs `body`; if it throws, remembers the error so the writer refuses further work.
    func failing<T>(_ body: () throws(SpoolError) -> T) throws(SpoolError) -> T {
        do {
            return try body()
        } catch {
            failure = error
            throw error
        }
    }

    private func flushAndSync() throws(SpoolError) -> SpoolDurablePosition? {
        try writeCompressedFrames(leavingAtMost: 0)
        try writePendingFrame()
        if let segment, hasUnsyncedBytes {
            Failpoint.hit("spool.before-fsync")
            do throws(FileError) {
                try segment.file.syncData()
            } catch {
                throw .file(error)
            }
            Failpoint.hit("spool.after-fsync")
            hasUnsyncedBytes = false
            if let commit = lastCommitEndLSN {
                durablePosition = SpoolDurablePosition(segment: segment.base, offset: segment.size, commitEndLSN: commit)
            }
        }
        if let segment, segment.size >= UInt64(segmentTargetBytes), let commit = lastCommitEndLSN, commit != segmentStartPosition {
            try rotate(base: max(commit, LSN(segment.base.value + 1)))
            // The new segment (header and schema frame) was fsynced on creation, so the durable
            // position moves into it and readers leave the finished segment behind.
            if let rotated = self.segment {
                durablePosition = SpoolDurablePosition(segment: rotated.base, offset: rotated.size, commitEndLSN: commit)
            }
        }
        return durablePosition
    }

    /// Compresses the pending batch into one frame and writes it (no fsync).
    func writePendingFrame() throws(SpoolError) {
        guard pendingRecordCount > 0, let firstLSN = pendingFirstLSN else { return }
        if segment == nil {
            let epoch = self.epoch ?? .unidentified
            segment = try SpoolSegmentFile.create(
                directory: directory,
                header: SpoolSegmentHeader(base: firstLSN, previousCommitEnd: nil, epoch: epoch),
                firstFrame: nil
            )
            self.epoch = epoch
            logger.info("Spool segment created", metadata: [LogKey.spoolSegment: "\(firstLSN.paddedHex)"])
        }
        let flags: SpoolFrameFlags = inTransaction ? [] : .endsAtBoundary
        let batchBytes = pending.count
        if flags.contains(.endsAtBoundary) {
            try writeCompressedFrames(leavingAtMost: 0)
            let frame = try encodeFrame(batch: pending, recordCount: pendingRecordCount, flags: flags, lastCommitEnd: pendingLastCommitEnd)
            try writeFrame(frame)
        } else {
            // Inside a transaction nothing needs this frame's position yet: compress it in the
            // background and write whatever earlier frames are done.
            pipeline.submit(.init(batch: pending, recordCount: pendingRecordCount, flags: flags, lastCommitEnd: pendingLastCommitEnd))
            pending = []
            pending.reserveCapacity(frameTargetBytes + frameTargetBytes / 4)
            try writeCompressedFrames(leavingAtMost: UInt64(pipeline.maxInFlight))
        }
        uncompressedBytesWritten += UInt64(batchBytes)
        if pending.capacity > 4 * frameTargetBytes {
            pending = []  // a single huge message grew the buffer: give the memory back
            pending.reserveCapacity(frameTargetBytes + frameTargetBytes / 4)
        } else {
            pending.removeAll(keepingCapacity: true)
        }
        pendingRecordCount = 0
        pendingFirstLSN = nil
        pendingLastCommitEnd = nil
        pendingBoundaryBytes = 0
        pendingBoundaryRecords = 0
        if flags.contains(.endsAtBoundary), let segment {
            boundaryFileEnd = segment.size
            boundaryCommitEnd = lastCommitEndLSN
            boundaryTransactionEnd = lastTransactionEndLSN
        }
    }

    /// Writes the frames the pipeline has finished, in order, waiting until at most `limit`
    /// remain in flight.
    func writeCompressedFrames(leavingAtMost limit: UInt64) throws(SpoolError) {
        let frames: [[UInt8]]
        do throws(ZstdError) {
            frames = try pipeline.collect(leavingAtMost: limit)
        } catch {
            throw .compression(path: segment?.path ?? directory, offset: segment?.size ?? 0, error: error)
        }
        for frame in frames { try writeFrame(frame) }
    }

    func encodeFrame(batch: [UInt8], recordCount: Int, flags: SpoolFrameFlags, lastCommitEnd: LSN?) throws(SpoolError) -> [UInt8] {
        do throws(ZstdError) {
            return try SpoolFrameCodec.encodeFrame(
                batch: batch,
                recordCount: recordCount,
                flags: flags,
                lastCommitEnd: lastCommitEnd,
                compressor: compressor,
                level: compressionLevel
            )
        } catch {
            throw .compression(path: segment?.path ?? directory, offset: segment?.size ?? 0, error: error)
        }
    }

    func writeFrame(_ frame: [UInt8]) throws(SpoolError) {
        guard var current = segment else { preconditionFailure("a segment is opened before frames are written") }
        do throws(FileError) {
            // Two writes so the fault tests can crash with half a frame on disk, as a power cut can.
            let half = frame.count / 2
            let file = current.file
            let start = current.size
            try frame.withUnsafeBytes { raw in
                Result { () throws(FileError) in
                    try file.write(UnsafeRawBufferPointer(rebasing: raw[..<half]), at: start)
                    Failpoint.hit("spool.mid-frame")
                    try file.write(UnsafeRawBufferPointer(rebasing: raw[half...]), at: start + UInt64(half))
                }
            }.get()
        } catch {
            throw .file(error)
        }
        current.size += UInt64(frame.count)
        segment = current
        compressedBytesWritten += UInt64(frame.count)
        hasUnsyncedBytes = true
    }

    /// The schema replay frame that starts a segment continuing an epoch (see ``SpoolFormat``).
    func schemaFrame() throws(SpoolError) -> [UInt8] {
        var batch: [UInt8] = []
        let entries = schema.replayEntries()
        for entry in entries {
            entry.bytes.withUnsafeBytes { SpoolFrameCodec.appendRecord(kind: .schema, lsn: entry.lsn, message: $0, to: &batch) }
        }
        uncompressedBytesWritten += UInt64(batch.count)
        return try encodeFrame(batch: batch, recordCount: entries.count, flags: [.endsAtBoundary, .schema], lastCommitEnd: nil)
    }

    /// Closes the current segment (already fsynced) and starts one at `base` with the schema replay.
    private func rotate(base: LSN) throws(SpoolError) {
        let schemaFrame = schema.isEmpty ? nil : try self.schemaFrame()
        compressedBytesWritten += UInt64(schemaFrame?.count ?? 0)
        let previous = segment
        let epoch = self.epoch ?? .unidentified
        segment = try SpoolSegmentFile.create(
            directory: directory,
            header: SpoolSegmentHeader(base: base, previousCommitEnd: lastCommitEndLSN, previousSegment: previous?.base, epoch: epoch),
            firstFrame: schemaFrame
        )
        self.epoch = epoch
        segmentStartPosition = lastCommitEndLSN
        boundaryFileEnd = segment?.size ?? 0
        logger.info(
            "Spool segment rotated",
            metadata: [
                LogKey.spoolSegment: "\(base.paddedHex)",
                LogKey.spoolPreviousSegment: "\(previous?.base.paddedHex ?? "none")",
                LogKey.spoolPreviousSize: "\(previous?.size ?? 0)",
            ]
        )
    }
}

/// What ``SpoolWriter/append(lsn:message:)-(_,UnsafeRawBufferPointer)`` did with a message.
public enum SpoolAppendResult: Hashable, Sendable {
    /// The message is buffered for the spool.
    case appended
    /// The message belongs to a transaction already in the spool and was dropped.
    case skippedDuplicate
}
