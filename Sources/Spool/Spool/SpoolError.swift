import ConduitCore

/// A spool operation failed. Every case names the file (and offset) involved and why.
public enum SpoolError: Error, Sendable, CustomStringConvertible {
    /// A segment header has a bad magic, version or checksum.
    case corruptSegmentHeader(path: String, reason: String)
    /// A frame before the durable limit (or a checksummed frame during recovery) is damaged.
    case corruptFrame(path: String, offset: UInt64, reason: String)
    /// The durable limit names a segment after `after`, but no such segment file exists.
    case missingSegment(directory: String, after: LSN)
    /// The segment after `after` is not its successor: `next` names another predecessor or end
    /// position, so at least one segment in between is missing.
    case segmentGap(directory: String, after: LSN, next: LSN, reason: String)
    /// A record (a stream reset) is malformed although its frame's checksum matched.
    case corruptRecord(lsn: LSN, reason: String)
    /// Recovery found damage in the last segment's tail that PostgreSQL had already confirmed:
    /// the slot's confirmed position lies past what the spool still holds intact.
    case damagedConfirmedData(path: String, offset: UInt64, reason: String, confirmed: LSN, spoolEnd: LSN)
    /// The writer still has a damaged tail that ``SpoolWriter/resolveTail(confirmedFlush:)`` has
    /// not yet judged; nothing may be written over it.
    case unresolvedTail(path: String, offset: UInt64)
    /// The segment to open does not exist.
    case segmentNotFound(path: String)
    /// The durable limit does not fall on a frame boundary or lies past the end of the file.
    case limitMismatch(path: String, offset: UInt64, limit: SpoolDurablePosition, reason: String)
    /// ``SpoolReader/nextRecords(upTo:)`` was called before a cursor was opened.
    case noCursor
    /// ``SpoolWriter/commitBoundaryFlush()`` was called inside a transaction.
    case notAtTransactionBoundary(lastLSN: LSN?)
    /// An appended message could not be decoded (only Begin, Commit, Relation and Type are decoded).
    case undecodableMessage(lsn: LSN, error: PgOutputDecodingError)
    /// A message was too large for the record length field.
    case messageTooLarge(lsn: LSN, size: Int)
    /// A file operation failed.
    case file(FileError)
    /// An earlier write or fsync failed (described); this writer accepts no more work.
    case writerFailed(String)
    /// zstd failed on a frame.
    case compression(path: String, offset: UInt64, error: ZstdError)

    /// What an operator does about a damaged spool (the runbook "the spool is damaged / the slot
    /// was lost").
    public static let recoveryHint =
        "to recover, stop ingest and router, move the spool directory and router.checkpoint aside, and start them again: "
        + "ingest starts a new stream epoch and every shape is rebuilt from a new snapshot"

    public var description: String {
        switch self {
        case .corruptSegmentHeader(let path, let reason):
            return "spool segment \(path) has a corrupt header: \(reason)"
        case .corruptFrame(let path, let offset, let reason):
            return "spool segment \(path) is corrupt at offset \(offset): \(reason); \(SpoolError.recoveryHint)"
        case .missingSegment(let directory, let after):
            return "spool \(directory) has no segment after \(after.paddedHex) although the durable limit points past it"
        case .segmentGap(let directory, let after, let next, let reason):
            return "spool \(directory) has a gap between segments \(after.paddedHex) and \(next.paddedHex) (\(reason)): "
                + "a segment is missing; \(SpoolError.recoveryHint)"
        case .corruptRecord(let lsn, let reason):
            return "spool record at \(lsn) is corrupt: \(reason)"
        case .damagedConfirmedData(let path, let offset, let reason, let confirmed, let spoolEnd):
            return "spool segment \(path) is damaged at offset \(offset) (\(reason)) and PostgreSQL already confirmed up to "
                + "\(confirmed) while the intact spool ends at \(spoolEnd): confirmed data is damaged, refusing to cut it; "
                + SpoolError.recoveryHint
        case .unresolvedTail(let path, let offset):
            return
                "spool segment \(path) has a damaged tail at offset \(offset) that was not yet checked against PostgreSQL; nothing is written over it"
        case .segmentNotFound(let path):
            return "spool segment \(path) does not exist"
        case .limitMismatch(let path, let offset, let limit, let reason):
            return "durable limit \(limit) does not match spool segment \(path) at offset \(offset): \(reason)"
        case .noCursor:
            return "spool reader has no open cursor; call openCursor first"
        case .notAtTransactionBoundary(let lastLSN):
            return
                "spool flush requested inside a transaction (last record at \(lastLSN.map { "\($0)" } ?? "none")); flush only after a Commit"
        case .undecodableMessage(let lsn, let error):
            return "cannot spool message at \(lsn): \(error)"
        case .messageTooLarge(let lsn, let size):
            return "cannot spool message at \(lsn): \(size) bytes exceeds the 4 GiB record limit"
        case .file(let error):
            return "spool file operation failed: \(error)"
        case .writerFailed(let earlier):
            return "spool writer is unusable after an earlier failure (\(earlier)); reopen the spool to recover"
        case .compression(let path, let offset, let error):
            return "spool segment \(path) frame at offset \(offset): \(error)"
        }
    }
}
