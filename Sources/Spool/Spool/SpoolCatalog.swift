import ConduitCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#else
    import Darwin
#endif

/// One segment as listed by ``SpoolCatalog``: its header's chain and epoch fields, size and age.
public struct SpoolSegmentInfo: Hashable, Sendable {
    public var key: LSN
    /// The stream position at the end of the previous segment (from this header).
    public var previousEnd: LSN?
    /// The previous segment's key (version-2 headers only).
    public var previousSegment: LSN?
    /// The stream epoch; nil for a version-1 segment.
    public var epoch: SpoolEpoch?
    public var startsEpoch: Bool
    public var bytes: UInt64
    /// Last modification, seconds since 1970: for a finished segment, when its newest data was written.
    public var modified: Double

    public init(
        key: LSN, previousEnd: LSN?, previousSegment: LSN?, epoch: SpoolEpoch?, startsEpoch: Bool, bytes: UInt64, modified: Double
    ) {
        self.key = key
        self.previousEnd = previousEnd
        self.previousSegment = previousSegment
        self.epoch = epoch
        self.startsEpoch = startsEpoch
        self.bytes = bytes
        self.modified = modified
    }
}

/// Reads every segment header of a spool directory (cheap: one small read per file), checks the
/// chain, and removes segments for retention.
public enum SpoolCatalog {
    /// Every segment in log order with its header fields.
    ///
    /// - Throws: ``SpoolError/corruptSegmentHeader(path:reason:)`` for an unreadable header or one
    ///   whose key does not match its file name.
    public static func list(directory: String) throws(SpoolError) -> [SpoolSegmentInfo] {
        var result: [SpoolSegmentInfo] = []
        for key in try SpoolDirectory.segments(in: directory) {
            let path = SpoolDirectory.path(of: key, in: directory)
            let opened = try withFileErrors { () throws(FileError) in try PosixFile.openIfExists(path) }
            guard let file = opened else { continue }  // removed since the listing (retention)
            let header = try SpoolSegmentHeader.read(from: file)
            guard header.base == key else {
                throw .corruptSegmentHeader(path: path, reason: "header key \(header.base) does not match the file name")
            }
            var info = stat()
            guard fstat(file.descriptor, &info) == 0 else {
                throw .file(FileError(operation: "fstat", path: path, errno: errno))
            }
            result.append(
                SpoolSegmentInfo(
                    key: key, previousEnd: header.previousCommitEnd, previousSegment: header.previousSegment, epoch: header.epoch,
                    startsEpoch: header.startsEpoch, bytes: UInt64(info.st_size),
                    modified: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9))
        }
        return result
    }

    /// Checks that consecutive segments name each other (version-2 headers record their
    /// predecessor's key) and that epochs never go backwards, and that a new epoch starts with
    /// its reset frame.
    ///
    /// The first listed segment may have a predecessor that is gone: retention removes segments
    /// from the front only. Version-1 segments carry no predecessor key; their link is checked by
    /// ``SpoolReader`` against the previous segment's frames.
    /// - Throws: ``SpoolError/segmentGap(directory:after:next:reason:)`` naming the two segments.
    public static func verifyChain(_ segments: [SpoolSegmentInfo], directory: String) throws(SpoolError) {
        for (previous, next) in zip(segments, segments.dropFirst()) {
            if let link = next.previousSegment, link != previous.key {
                throw .segmentGap(
                    directory: directory, after: previous.key, next: next.key,
                    reason: "\(next.key.paddedHex) follows segment \(link.paddedHex), which is missing")
            }
            if let before = previous.epoch?.number, let after = next.epoch?.number {
                if after < before || (after > before && !next.startsEpoch) {
                    throw .segmentGap(
                        directory: directory, after: previous.key, next: next.key,
                        reason: "stream epoch goes from \(before) to \(after) without a stream reset")
                }
            }
        }
    }

    /// Removes segments (oldest first, as given) and makes the removal durable.
    public static func remove(_ keys: [LSN], directory: String) throws(SpoolError) {
        guard !keys.isEmpty else { return }
        do throws(FileError) {
            for key in keys { try FileSystem.removeFile(SpoolDirectory.path(of: key, in: directory)) }
            try FileSystem.syncDirectory(directory)
        } catch {
            throw .file(error)
        }
    }
}
