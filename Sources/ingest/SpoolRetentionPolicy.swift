import ConduitCore
import Spool

/// Which spool segments may go: the oldest ones, while the spool is over its size budget or
/// they are older than its age limit — and only those router has wholly consumed.
///
/// Pure value logic (no I/O), unit-tested on its own; ``SpoolRetention`` lists the segments and
/// removes what this returns. Rules:
/// - Never the last (current) segment, and only a prefix of the list: removing from the middle
///   would open a gap that readers rightly refuse.
/// - A segment is consumed when router's reported position (the end of the last transaction it
///   applied) lies at or past the segment's end (the next segment's recorded predecessor end),
///   in the same stream epoch; segments of epochs before router's are consumed as a whole.
/// - router's epoch is the earliest epoch whose LSN range holds its position. Ranges overlap
///   only after a reset that moved LSNs backwards (a restored server); choosing the earliest
///   then errs on keeping segments until router's position leaves the overlap.
/// - No report from router yet: nothing is removed.
struct SpoolRetentionPolicy {
    /// Keep the spool under this many bytes (when router allows).
    var maxBytes: UInt64
    /// Remove segments whose newest data is older than this many seconds (when router allows).
    var maxAge: Double

    /// The keys to remove, oldest first.
    func segmentsToRemove(_ segments: [SpoolSegmentInfo], consumed: LSN?, now: Double) -> [LSN] {
        guard segments.count > 1, let consumed, let routerEpoch = epoch(of: consumed, in: segments) else { return [] }
        var total = segments.reduce(UInt64(0)) { $0 + $1.bytes }
        var removed: [LSN] = []
        for (segment, next) in zip(segments, segments.dropFirst()) {
            let epoch = segment.epoch?.number ?? 0
            let wasConsumed: Bool
            if epoch < routerEpoch {
                wasConsumed = true
            } else if epoch == routerEpoch, let end = next.previousEnd {
                wasConsumed = end <= consumed
            } else {
                wasConsumed = false
            }
            let due = total > maxBytes || now - segment.modified > maxAge
            guard wasConsumed, due else { break }
            removed.append(segment.key)
            total -= segment.bytes
        }
        return removed
    }

    /// The earliest epoch whose range `[start, end]` holds `lsn`; the last epoch is open-ended.
    private func epoch(of lsn: LSN, in segments: [SpoolSegmentInfo]) -> UInt32? {
        var ranges: [(epoch: UInt32, start: LSN, end: LSN?)] = []
        for (index, segment) in segments.enumerated() {
            let number = segment.epoch?.number ?? 0
            let end = index + 1 < segments.count ? segments[index + 1].previousEnd : nil
            if let last = ranges.last, last.epoch == number {
                ranges[ranges.count - 1].end = end.map { max($0, last.end ?? $0) }
            } else {
                ranges.append((number, segment.epoch?.start ?? .zero, end))
            }
        }
        // The current epoch has no end yet.
        if !ranges.isEmpty { ranges[ranges.count - 1].end = nil }
        return ranges.first { $0.start <= lsn && ($0.end.map { lsn <= $0 } ?? true) }?.epoch
    }
}
