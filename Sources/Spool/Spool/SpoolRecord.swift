import ConduitCore

/// One record read from the spool: a pgoutput message with the LSN it was received at.
///
/// `payload` is a slice of the decompressed frame (no copy); it keeps that frame alive, so copy
/// it out if it must outlive the batch.
public struct SpoolRecord: Hashable, Sendable {
    public var kind: SpoolRecordKind
    /// XLogData dataStart of the message (a Commit's end LSN for Commits).
    public var lsn: LSN
    /// The raw pgoutput message, tag byte first.
    public var payload: ArraySlice<UInt8>

    public init(kind: SpoolRecordKind, lsn: LSN, payload: ArraySlice<UInt8>) {
        self.kind = kind
        self.lsn = lsn
        self.payload = payload
    }

    /// The pgoutput tag byte, or 0 for an empty payload.
    public var tag: UInt8 { payload.first ?? 0 }

    /// Decodes the payload.
    public func decode() throws(PgOutputDecodingError) -> PgOutputMessage {
        try PgOutputMessage(decoding: payload)
    }
}

/// The records of one frame, as returned by ``SpoolReader/nextRecords(upTo:)``.
public struct SpoolBatch: Hashable, Sendable {
    /// The records in log order.
    public var records: [SpoolRecord]
    /// Where this frame starts.
    public var start: SpoolPosition
    /// The reader's position after this batch: where the next frame starts.
    public var end: SpoolPosition
    /// Whether the frame ends at a transaction boundary; only such `end`s are safe checkpoints.
    public var endsAtTransactionBoundary: Bool
    /// Whether this is a segment's schema replay (kind-2 records only).
    public var isSchema: Bool
    /// End LSN of the last Commit in the frame, if any.
    public var lastCommitEndLSN: LSN?

    public init(
        records: [SpoolRecord], start: SpoolPosition, end: SpoolPosition, endsAtTransactionBoundary: Bool, isSchema: Bool,
        lastCommitEndLSN: LSN?
    ) {
        self.records = records
        self.start = start
        self.end = end
        self.endsAtTransactionBoundary = endsAtTransactionBoundary
        self.isSchema = isSchema
        self.lastCommitEndLSN = lastCommitEndLSN
    }
}
