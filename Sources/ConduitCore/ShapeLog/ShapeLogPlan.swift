/// What a request at some offset gets (protocol.md §7.5 step 1–3), computed before any entry is
/// read so the caller can build headers and check `If-None-Match` first.
public struct ShapeLogPlan: Sendable, Hashable {
    /// Where the entries come from.
    public enum Source: Sendable, Hashable {
        /// Nothing lies in `(request, end]`.
        case none
        /// Snapshot chunk `index` (offset `0_index`), bytes `[start, end)` of `snapshot.log`.
        case snapshotChunk(index: Int, start: UInt64, end: UInt64)
        /// `entries` change entries, bytes `[start, end)` of `changes.log`.
        case changes(entries: UInt64, start: UInt64, end: UInt64)
    }

    /// The request's offset.
    public var request: LogOffset
    /// The response's end offset (`electric-offset`).
    public var end: LogOffset
    /// The shape's latest offset when the plan was made.
    public var latest: LogOffset
    /// The response reaches the end of the log: it ends with an `up-to-date` control message.
    public var isUpToDate: Bool
    public var source: Source
    /// Commit LSN of the shape's last change entry, the fallback for `global_last_seen_lsn`.
    public var lastChangeLSN: LSN?

    public var hasEntries: Bool { source != .none }

    public init(
        request: LogOffset,
        end: LogOffset,
        latest: LogOffset,
        isUpToDate: Bool,
        source: Source,
        lastChangeLSN: LSN?
    ) {
        self.request = request
        self.end = end
        self.latest = latest
        self.isUpToDate = isUpToDate
        self.source = source
        self.lastChangeLSN = lastChangeLSN
    }
}

/// The outcome of planning a read.
public enum ShapeLogPlanResult: Sendable, Hashable {
    case ready(ShapeLogPlan)
    /// The data the request needs is not published yet: snapshot chunk 0 (for `-1`), the next
    /// snapshot chunk of an unfinished snapshot, or (for change offsets) the end of the snapshot.
    /// Wait for progress and plan again.
    case notReady
    /// The request's offset lies beyond the shape's latest offset (protocol.md §7.6).
    case outOfBounds(latest: LogOffset)
}
