import ConduitCore
import Logging

extension SpoolWriter {
    /// Starts a segment for `epoch`: a new stream after a reset, the first stream of an empty
    /// spool, or (without `reset`, on a spool that already has segments) the identity of a
    /// version-1 spool adopted on upgrade.
    ///
    /// Everything complete before it is written and fsynced first, so the old epoch ends durably;
    /// an open transaction is discarded. With `reset`, the new segment's first frame is the
    /// stream-reset frame (one ``SpoolRecordKind/streamReset`` record), the relation cache is
    /// cleared (the new stream sends its Relation messages again) and the stream position becomes
    /// `epoch.start`; a damaged tail is cut, since nothing before the reset matters any more.
    /// The segment's key is `epoch.start`, or one more than the previous key when the new
    /// stream's LSNs lie behind the old ones, so file names keep sorting in log order.
    ///
    /// - Returns: the durable position just past the new segment's header and first frame (the
    ///   segment is created with an fsync).
    @discardableResult
    public func beginEpoch(_ epoch: SpoolEpoch, reset: SpoolStreamReset?) throws(SpoolError) -> SpoolDurablePosition {
        if let failure { throw .writerFailed("\(failure)") }
        if let tail = unresolvedTail {
            guard reset != nil else { throw .unresolvedTail(path: tail.path, offset: tail.offset) }
            try failing { () throws(SpoolError) in
                try withFileErrors { () throws(FileError) in try segment?.file.truncate(to: tail.offset) }
            }
            unresolvedTail = nil
        }
        try discardOpenTransaction()
        return try failing { () throws(SpoolError) -> SpoolDurablePosition in
            if let current = segment {
                try writeCompressedFrames(leavingAtMost: 0)
                try writePendingFrame()
                try withFileErrors { () throws(FileError) in try current.file.syncData() }
                hasUnsyncedBytes = false
            }
            let startsStream = reset != nil || segment == nil
            let resume = startsStream ? epoch.start : (lastCommitEndLSN ?? epoch.start)
            let key = segment.map { max(resume, LSN($0.base.value + 1)) } ?? resume
            var firstFrame: [UInt8]?
            if let reset {
                var batch: [UInt8] = []
                reset.encodedMessage().withUnsafeBytes {
                    SpoolFrameCodec.appendRecord(kind: .streamReset, lsn: resume, message: $0, to: &batch)
                }
                firstFrame = try encodeFrame(batch: batch, recordCount: 1, flags: [.endsAtBoundary, .streamReset], lastCommitEnd: resume)
                schema = SpoolSchemaCache()
            } else if segment != nil, !schema.isEmpty {
                firstFrame = try schemaFrame()
            }
            let previous = segment
            let created = try SpoolSegmentFile.create(
                directory: directory,
                header: SpoolSegmentHeader(
                    base: key, previousCommitEnd: previous == nil ? nil : lastCommitEndLSN, previousSegment: previous?.base,
                    epoch: epoch, startsEpoch: reset != nil),
                firstFrame: firstFrame
            )
            segment = created
            self.epoch = epoch
            if startsStream {
                lastCommitEndLSN = resume
                lastTransactionEndLSN = resume
            }
            segmentStartPosition = lastCommitEndLSN
            boundaryFileEnd = created.size
            boundaryCommitEnd = lastCommitEndLSN
            boundaryTransactionEnd = lastTransactionEndLSN
            compressedBytesWritten += UInt64(firstFrame?.count ?? 0)
            let position = SpoolDurablePosition(segment: key, offset: created.size, commitEndLSN: lastCommitEndLSN ?? resume)
            durablePosition = position
            logger.info(
                reset == nil ? "Spool segment opened for a stream epoch" : "Spool segment opened after a stream reset",
                metadata: [
                    LogKey.spoolSegment: "\(key.paddedHex)", LogKey.spoolEpoch: "\(epoch.number)",
                    LogKey.spoolPreviousSegment: "\(previous?.base.paddedHex ?? "none")", LogKey.lsn: "\(position.commitEndLSN)",
                ])
            return position
        }
    }

    /// Records that the stream holds nothing before `lsn` (a keepalive's WAL end received between
    /// transactions) as a position frame: a boundary frame without records, written after every
    /// pending transaction. Confirming `lsn` to PostgreSQL is safe once the returned position is
    /// durable, and a restart resumes from it instead of finding the slot ahead of the spool.
    ///
    /// - Returns: the position to sync, or nil if `lsn` is not past the stream position (or the
    ///   spool has no segment yet).
    /// - Throws: ``SpoolError/notAtTransactionBoundary(lastLSN:)`` inside a transaction.
    public func recordPosition(_ lsn: LSN) throws(SpoolError) -> SpoolDurablePosition? {
        try checkUsable()
        guard isAtTransactionBoundary else { throw .notAtTransactionBoundary(lastLSN: lastCommitEndLSN) }
        guard lsn > (lastCommitEndLSN ?? .zero) else { return nil }
        return try failing { () throws(SpoolError) -> SpoolDurablePosition? in
            try writeCompressedFrames(leavingAtMost: 0)
            try writePendingFrame()
            guard segment != nil else { return nil }
            try writeFrame(try encodeFrame(batch: [], recordCount: 0, flags: .endsAtBoundary, lastCommitEnd: lsn))
            lastCommitEndLSN = lsn
            guard let segment else { return nil }
            boundaryFileEnd = segment.size
            boundaryCommitEnd = lsn
            return SpoolDurablePosition(segment: segment.base, offset: segment.size, commitEndLSN: lsn)
        }
    }

    /// Judges a damaged tail left by recovery (``unresolvedTail``) against the position PostgreSQL
    /// confirmed for the slot, and cuts it if that is safe.
    ///
    /// - Parameter confirmedFlush: the slot's `confirmed_flush_lsn`, or nil when there is no slot
    ///   to compare with (it was dropped: the stream is reset anyway).
    /// - Throws: ``SpoolError/damagedConfirmedData(path:offset:reason:confirmed:spoolEnd:)`` when
    ///   PostgreSQL confirmed more than the intact spool holds: the damage hit confirmed
    ///   transactions, and the bytes are left in place for an operator.
    public func resolveTail(confirmedFlush: LSN?) throws(SpoolError) {
        guard let tail = unresolvedTail else { return }
        let end = lastCommitEndLSN ?? .zero
        if let confirmedFlush, confirmedFlush > end {
            throw .damagedConfirmedData(path: tail.path, offset: tail.offset, reason: tail.reason, confirmed: confirmedFlush, spoolEnd: end)
        }
        try failing { () throws(SpoolError) in
            try withFileErrors { () throws(FileError) in
                try segment?.file.truncate(to: tail.offset)
                try segment?.file.sync()
            }
        }
        unresolvedTail = nil
        logger.warning(
            "Cut the spool's torn tail: PostgreSQL never confirmed it",
            metadata: [
                LogKey.file: "\(tail.path)", LogKey.spoolOffset: "\(tail.offset)", LogKey.spoolDroppedBytes: "\(tail.bytes)",
                LogKey.lsn: "\(end)",
            ])
    }
}
