/// A byte position in the spool: a segment (by base LSN) and an offset in its file.
///
/// Ordered by segment, then offset, which is log order.
public struct SpoolPosition: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// Base LSN of the segment (its file name).
    public var segment: LSN
    /// Bytes from the start of the segment file.
    public var offset: UInt64

    public init(segment: LSN, offset: UInt64) {
        self.segment = segment
        self.offset = offset
    }

    public static func < (lhs: SpoolPosition, rhs: SpoolPosition) -> Bool {
        (lhs.segment, lhs.offset) < (rhs.segment, rhs.offset)
    }

    public var description: String { "\(segment.paddedHex).spool@\(offset)" }
}

/// How far the spool is durable: published by ingest after each group-commit fsync.
///
/// - Important: the first `offset` bytes of `segment` (and all earlier segments) are fsynced and
///   end exactly after a frame that ends at a transaction boundary. `commitEndLSN` is the end LSN of
///   the last Commit in those bytes: the LSN ingest may confirm as flushed to PostgreSQL. Readers
///   must not read past this position.
public struct SpoolDurablePosition: Hashable, Sendable, Codable, CustomStringConvertible {
    public var segment: LSN
    public var offset: UInt64
    public var commitEndLSN: LSN

    public init(segment: LSN, offset: UInt64, commitEndLSN: LSN) {
        self.segment = segment
        self.offset = offset
        self.commitEndLSN = commitEndLSN
    }

    /// The byte position, without the LSN.
    public var position: SpoolPosition { SpoolPosition(segment: segment, offset: offset) }

    public var description: String { "\(position) (commit end \(commitEndLSN))" }
}
