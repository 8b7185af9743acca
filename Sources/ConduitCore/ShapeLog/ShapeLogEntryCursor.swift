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
        let frames = try ShapeLogFormat.parseFrames(Array(window[0..<wholeFrames]), path: path)
        position += UInt64(wholeFrames)
        if let remaining = remainingEntries {
            guard frames.count <= remaining else { throw .corrupt(path: path, detail: "more frames than committed entries") }
            remainingEntries = remaining - frames.count
        }
        return frames
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
