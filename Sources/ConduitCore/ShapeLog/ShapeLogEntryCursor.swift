/// Reads the entries of a ``ShapeLogPlan`` a window at a time, so a response streams a large
/// chunk without holding all of it in memory.
///
/// A value type holding only paths and positions: copy it into a blocking-I/O closure, call
/// ``next(maxBytes:)`` there, and carry the advanced copy out. Each call opens the file, reads
/// one window of whole frames (or one frame, when a frame is larger than the window) and closes it.
public struct ShapeLogEntryCursor: Sendable, Hashable {
    private let path: String
    private let magic: [UInt8]
    private var position: UInt64
    private let end: UInt64
    /// Entries still expected, when the plan knows the count (change entries).
    private var remainingEntries: Int?
    private var checkedHeader = false

    /// A cursor over `plan`'s entries (none for a plan without entries).
    public init(plan: ShapeLogPlan, reader: ShapeLogReader) {
        switch plan.source {
        case .none:
            self.init(path: reader.files.changeLog, magic: ShapeLogFormat.changeLogMagic, start: 0, end: 0, count: 0)
        case .snapshotChunk(_, let start, let end):
            self.init(path: reader.files.snapshotLog, magic: ShapeLogFormat.snapshotLogMagic, start: start, end: end, count: nil)
        case .changes(let first, let last, let start, let end):
            self.init(
                path: reader.files.changeLog,
                magic: ShapeLogFormat.changeLogMagic,
                start: start,
                end: end,
                count: Int(last - first + 1)
            )
        }
    }

    private init(path: String, magic: [UInt8], start: UInt64, end: UInt64, count: Int?) {
        self.path = path
        self.magic = magic
        self.position = start
        self.end = end
        self.remainingEntries = count
    }

    public var isFinished: Bool { position >= end }

    /// The next entries, about `maxBytes` of them; nil once every entry was returned.
    /// - Throws: ``ShapeLogError/corrupt(path:detail:)`` on a bad checksum, a frame crossing
    ///   the plan's end, or a frame count different from the committed one.
    public mutating func next(maxBytes: Int = 1 << 20) throws(ShapeLogError) -> [ArraySlice<UInt8>]? {
        guard let (window, wholeFrames) = try nextWindow(maxBytes: maxBytes) else { return nil }
        let frames = try ShapeLogFormat.parseFrames(window, count: wholeFrames, path: path)
        try count(frames.count)
        return frames
    }

    /// The next entries, about `maxBytes` of them, as one byte array holding their JSON joined
    /// by commas (`e1,e2,…`): what goes between a response's brackets. nil once every entry was
    /// returned. The frames are checked exactly as by ``next(maxBytes:)``, then compacted in the
    /// buffer they were read into (a header is longer than a comma), so a window costs one read
    /// and one move, not an allocation per entry.
    public mutating func nextJoined(maxBytes: Int = 1 << 20) throws(ShapeLogError) -> (json: [UInt8], entries: Int)? {
        guard let (read, wholeFrames) = try nextWindow(maxBytes: maxBytes) else { return nil }
        var window = read
        let entries = try ShapeLogFormat.joinFramesInPlace(&window, count: wholeFrames, path: path)
        try count(entries)
        return (window, entries)
    }

    /// Reads the next window of whole frames (or one frame, when a frame is larger than the
    /// window) and advances past it: the bytes read and how many of them are whole frames.
    private mutating func nextWindow(maxBytes: Int) throws(ShapeLogError) -> ([UInt8], Int)? {
        guard position < end else {
            if let remaining = remainingEntries, remaining != 0 {
                throw .corrupt(path: path, detail: "\(remaining) committed entries missing")
            }
            return nil
        }
        guard let file = try ShapeLogIO.openIfExists(path) else {
            throw .corrupt(path: path, detail: "missing while entries are published")
        }
        if !checkedHeader {
            try ShapeLogFormat.checkFileHeader(
                ShapeLogIO.committedBytes(file, at: 0, count: ShapeLogFormat.fileHeaderSize), magic: magic, path: path)
            checkedHeader = true
        }
        var window = try ShapeLogIO.committedBytes(file, at: position, count: Int(min(UInt64(max(maxBytes, 64)), end - position)))
        var wholeFrames = Self.wholeFramesLength(window)
        if wholeFrames == 0 {
            // One frame larger than the window: read exactly that frame.
            guard window.count >= ShapeLogFormat.frameHeaderSize else {
                throw .corrupt(path: path, detail: "partial frame header inside committed range")
            }
            let length = UInt64(window.loadInteger(UInt32.self, at: 0, .littleEndian)) + UInt64(ShapeLogFormat.frameHeaderSize)
            guard length <= end - position else { throw .corrupt(path: path, detail: "frame longer than committed range") }
            window = try ShapeLogIO.committedBytes(file, at: position, count: Int(length))
            wholeFrames = window.count
        }
        position += UInt64(wholeFrames)
        return (window, wholeFrames)
    }

    /// Counts `frames` against the committed entry count, when the plan knows it.
    private mutating func count(_ frames: Int) throws(ShapeLogError) {
        guard let remaining = remainingEntries else { return }
        guard frames <= remaining else { throw .corrupt(path: path, detail: "more frames than committed entries") }
        remainingEntries = remaining - frames
    }

    /// Length of the prefix of `bytes` made of complete frames.
    private static func wholeFramesLength(_ bytes: [UInt8]) -> Int {
        var offset = 0
        while bytes.count - offset >= ShapeLogFormat.frameHeaderSize {
            let next = offset + ShapeLogFormat.frameHeaderSize + Int(bytes.loadInteger(UInt32.self, at: offset, .littleEndian))
            guard next <= bytes.count else { break }
            offset = next
        }
        return offset
    }
}
