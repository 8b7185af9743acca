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
    /// How the file frames its entries, from its header (read with the first window).
    private var layout = ShapeLogFrameLayout.plain

    /// A cursor over `plan`'s entries (none for a plan without entries).
    public init(plan: ShapeLogPlan, reader: ShapeLogReader) {
        switch plan.source {
        case .none:
            self.init(path: reader.files.changeLog, magic: ShapeLogFormat.changeLogMagic, start: 0, end: 0, count: 0)
        case .snapshotChunk(_, let start, let end):
            self.init(path: reader.files.snapshotLog, magic: ShapeLogFormat.snapshotLogMagic, start: start, end: end, count: nil)
        case .changes(let entries, let start, let end):
            self.init(path: reader.files.changeLog, magic: ShapeLogFormat.changeLogMagic, start: start, end: end, count: Int(entries))
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
        let frames = try ShapeLogFormat.parseFrames(window, count: wholeFrames, layout: layout, path: path)
        try count(frames.count)
        return frames
    }

    /// What ``nextJoined(into:)`` did with its destination.
    public enum JoinedWindow: Sendable, Hashable {
        /// The destination starts with `bytes` bytes: `entries` entries' JSON joined by commas.
        case joined(bytes: Int, entries: Int)
        /// The next entry alone does not fit: call again with at least this many bytes. The
        /// cursor has not moved.
        case needsCapacity(Int)
    }

    /// The next entries, about `maxBytes` of them, as one byte array holding their JSON joined
    /// by commas (`e1,e2,…`): what goes between a response's brackets. nil once every entry was
    /// returned. The frames are checked exactly as by ``next(maxBytes:)``.
    public mutating func nextJoined(maxBytes: Int = 1 << 20) throws(ShapeLogError) -> (json: [UInt8], entries: Int)? {
        // A window never needs more than what is left (`position` only moves by whole frames, so
        // it never passes `end`).
        var capacity = max(min(maxBytes, Int(clamping: end - position)), Self.minimumWindow)
        while true {
            var outcome: Result<JoinedWindow?, ShapeLogError> = .success(nil)
            let json = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
                outcome = Result { () throws(ShapeLogError) in try nextJoined(into: UnsafeMutableRawBufferPointer(buffer)) }
                if case .success(.joined(let bytes, _)) = outcome { initialized = bytes } else { initialized = 0 }
            }
            switch try outcome.get() {
            case nil: return nil
            case .joined(_, let entries): return (json, entries)
            case .needsCapacity(let needed): capacity = needed
            }
        }
    }

    /// Reads the next window, as many whole frames as fit in `destination`, straight into it,
    /// checks them as ``next(maxBytes:)`` does, and leaves their JSON joined by commas at its
    /// start: one read and one move in the caller's memory (serve's response buffer), nothing
    /// allocated. nil once every entry was returned.
    /// - Precondition: `destination` holds at least 64 bytes.
    public mutating func nextJoined(into destination: UnsafeMutableRawBufferPointer) throws(ShapeLogError) -> JoinedWindow? {
        precondition(destination.count >= Self.minimumWindow, "a window holds at least \(Self.minimumWindow) bytes")
        guard let file = try openForNext() else { return nil }
        let window = UnsafeMutableRawBufferPointer(rebasing: destination[..<Int(min(UInt64(destination.count), end - position))])
        try ShapeLogIO.readCommitted(file, into: window, at: position)
        let wholeFrames = wholeFramesLength(UnsafeRawBufferPointer(window))
        guard wholeFrames > 0 else { return .needsCapacity(try frameLength(UnsafeRawBufferPointer(window))) }
        let (bytes, entries) = try ShapeLogFormat.joinFrames(in: window, count: wholeFrames, layout: layout, path: path)
        try count(entries)
        position += UInt64(wholeFrames)
        return .joined(bytes: bytes, entries: entries)
    }

    static let minimumWindow = 64

    /// Once ``isFinished``: throws when fewer entries were read than the plan committed (the
    /// check the call returning nil makes, without touching the file).
    public func checkComplete() throws(ShapeLogError) {
        if let remaining = remainingEntries, remaining != 0 {
            throw .corrupt(path: path, detail: "\(remaining) committed entries missing")
        }
    }

    /// The file, open, when entries remain (its header checked on first use); nil at the end.
    private mutating func openForNext() throws(ShapeLogError) -> PosixFile? {
        guard position < end else {
            try checkComplete()
            return nil
        }
        guard let file = try ShapeLogIO.openIfExists(path) else {
            throw .corrupt(path: path, detail: "missing while entries are published")
        }
        if !checkedHeader {
            let header = try ShapeLogIO.committedBytes(file, at: 0, count: ShapeLogFormat.fileHeaderSize)
            try ShapeLogFormat.checkFileHeader(header, magic: magic, path: path, versions: ShapeLogFormat.logVersions(magic))
            if magic == ShapeLogFormat.changeLogMagic { layout = ChangeLogLayout(header: header).entryFrames }
            checkedHeader = true
        }
        return file
    }

    /// Length with its header of the frame at the start of `window`, which holds no whole frame.
    private func frameLength(_ window: UnsafeRawBufferPointer) throws(ShapeLogError) -> Int {
        guard window.count >= layout.headerSize else {
            throw .corrupt(path: path, detail: "partial frame header inside committed range")
        }
        let length = UInt64(layout.frameSize(payload: Int(window.loadInteger(UInt32.self, at: 0, .littleEndian))))
        guard length <= end - position else { throw .corrupt(path: path, detail: "frame longer than committed range") }
        return Int(length)
    }

    /// Reads the next window of whole frames (or one frame, when a frame is larger than the
    /// window) and advances past it: the bytes read and how many of them are whole frames.
    private mutating func nextWindow(maxBytes: Int) throws(ShapeLogError) -> ([UInt8], Int)? {
        guard let file = try openForNext() else { return nil }
        var window = try ShapeLogIO.committedBytes(
            file, at: position, count: Int(min(UInt64(max(maxBytes, Self.minimumWindow)), end - position)))
        var wholeFrames = window.withUnsafeBytes { wholeFramesLength($0) }
        if wholeFrames == 0 {
            // One frame larger than the window: read exactly that frame.
            let length = try window.withUnsafeBytes { bytes in Result { () throws(ShapeLogError) in try frameLength(bytes) } }.get()
            window = try ShapeLogIO.committedBytes(file, at: position, count: length)
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
    private func wholeFramesLength(_ bytes: UnsafeRawBufferPointer) -> Int {
        var offset = 0
        while bytes.count - offset >= layout.headerSize {
            let next = offset + layout.frameSize(payload: Int(bytes.loadInteger(UInt32.self, at: offset, .littleEndian)))
            guard next <= bytes.count else { break }
            offset = next
        }
        return offset
    }
}
