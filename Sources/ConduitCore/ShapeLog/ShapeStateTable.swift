import Synchronization

#if canImport(Glibc)
    @preconcurrency import Glibc
#else
    import Darwin
#endif

/// `<storage>/shapes/.states`: the committed state of every shape's change log, in one file of
/// fixed-size records, so a group commit publishes the states of thousands of shapes with a few
/// large `pwrite`s and one `fdatasync` instead of a write and a flush per shape.
///
/// Layout (little-endian):
///
/// | bytes | contents |
/// | --- | --- |
/// | 0..<8 | file header: magic `CSTB`, version `1`, 3 zero bytes |
/// | 8..<256 | zero |
/// | 256·(r+1) ..< 256·(r+2) | record `r`: two 128-byte slots, exactly as in ``ChangeLogStateFile`` |
///
/// A record belongs to one shape at a time; its number is stored in the shape's document
/// (``ShapeMetadata/stateRecord``). Each slot's CRC also covers the shape's ``tag(handle:)``
/// (not stored), so a slot passes its check only for the shape it was written for: a reader
/// holding a stale record number, or a record reused after its shape was removed, sees no valid
/// slot instead of another shape's state.
///
/// The slot rules are ``ChangeLogStateFile``'s: a commit writes the slot not holding the latest
/// state, after the data it describes is durable, and readers take the valid slot with the
/// higher sequence. router keeps the whole file in memory (``State/mirror``) and writes staged
/// records back in runs; a run also rewrites records it did not change, with the bytes they
/// already hold, so a torn write cannot damage them.
///
/// Thread-safe (one `Mutex`); router's main loop is its only writer, shape loading reads it from
/// several threads, serve reads records with ``readSlot(path:record:tag:)``.
public final class ShapeStateTable: Sendable {
    static let magic: [UInt8] = Array("CSTB".utf8)
    static let version: UInt8 = 1
    static let headerSize = 256
    static let recordSize = 2 * ChangeLogStateFile.slotSize
    /// Staged records closer than this are written in one run.
    static let runGap = 4096 / recordSize

    public let path: String
    private let file: PosixFile
    private let state: Mutex<State>

    struct State: ~Copyable {
        /// The file's bytes as written (whole records after the header).
        var mirror: [UInt8]
        /// Records staged since the last ``writeStaged()``.
        var staged: Set<Int> = []
        var used: [Bool]
        /// Free record numbers (the lowest is reused first).
        var free = LowestFirstQueue()
        var recordCount: Int { used.count }
    }

    /// Opens the table at `path`, creating it (durably) when it does not exist.
    /// - Throws: ``ShapeLogError/corrupt(path:detail:)`` for a foreign header.
    public init(path: String) throws(ShapeLogError) {
        self.path = path
        let file = try ShapeLogIO.open(path, flags: O_RDWR | O_CREAT)
        var size = try ShapeLogIO.run { () throws(FileError) in try file.size() }
        if size < UInt64(Self.headerSize) {
            var header = Self.magic + [Self.version, 0, 0, 0]
            header += [UInt8](repeating: 0, count: Self.headerSize - header.count)
            try ShapeLogIO.run { () throws(FileError) in try file.truncate(to: 0) }
            try ShapeLogIO.run { () throws(FileError) in try file.write(header, at: 0) }
            try ShapeLogIO.run { () throws(FileError) in try file.sync() }
            try ShapeLogIO.syncDirectory(containing: path)
            size = UInt64(Self.headerSize)
        }
        let records = (Int(size) - Self.headerSize) / Self.recordSize
        let mirror = try ShapeLogIO.committedBytes(file, at: 0, count: Self.headerSize + records * Self.recordSize)
        guard Array(mirror[0..<4]) == Self.magic else { throw .corrupt(path: path, detail: "bad file header") }
        guard mirror[4] == Self.version else { throw .corrupt(path: path, detail: "unsupported version \(mirror[4])") }
        self.file = file
        self.state = Mutex(State(mirror: mirror, used: [Bool](repeating: false, count: records)))
    }

    /// The 64-bit FNV-1a hash of `handle`: what a record's slots are checked against.
    public static func tag(handle: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in handle.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }

    static func offset(ofRecord record: Int) -> Int { headerSize + record * recordSize }

    // MARK: Records

    /// Marks `record` as held by a shape found at start-up. False when another shape holds it
    /// (or it is beyond the file: its shape never had a state written).
    public func claim(_ record: Int) -> Bool {
        state.withLock { state in
            guard record >= 0, record < state.recordCount, !state.used[record] else { return false }
            state.used[record] = true
            return true
        }
    }

    /// Once every shape found at start-up is claimed: the records no shape holds become free.
    public func collectFree() {
        state.withLock { state in
            state.free = LowestFirstQueue((0..<state.recordCount).filter { !state.used[$0] })
        }
    }

    /// A record for a new shape: the lowest free one, or a new one at the end of the file.
    public func claimFree() -> Int {
        state.withLock { state in
            if let record = state.free.popLowest() {
                state.used[record] = true
                return record
            }
            state.used.append(true)
            state.mirror += [UInt8](repeating: 0, count: Self.recordSize)
            return state.used.count - 1
        }
    }

    /// Frees `record` (its shape is gone): both slots are zeroed and written through, so readers
    /// holding its number find no state, then the record may be handed out again.
    public func release(_ record: Int) throws(ShapeLogError) {
        let bytes = [UInt8](repeating: 0, count: Self.recordSize)
        let known = state.withLock { state in
            guard record >= 0, record < state.recordCount, state.used[record] else { return false }
            let offset = Self.offset(ofRecord: record)
            state.mirror.replaceSubrange(offset..<(offset + Self.recordSize), with: bytes)
            state.staged.remove(record)
            state.used[record] = false
            state.free.insert(record)
            return true
        }
        guard known else { return }
        try ShapeLogIO.run { () throws(FileError) in try file.write(bytes, at: UInt64(Self.offset(ofRecord: record))) }
    }

    /// The latest valid slot of `record` for `tag`, nil when neither slot is valid for it.
    func latestSlot(_ record: Int, tag: UInt64) -> ChangeLogStateFile.Slot? {
        state.withLock { state in
            guard record >= 0, record < state.recordCount else { return nil }
            return Self.latestSlot(in: state.mirror, at: Self.offset(ofRecord: record), tag: tag)
        }
    }

    static func latestSlot(in bytes: [UInt8], at offset: Int, tag: UInt64) -> ChangeLogStateFile.Slot? {
        [0, ChangeLogStateFile.slotSize]
            .compactMap { ChangeLogStateFile.decodeSlot(bytes, at: offset + $0, tag: tag) }
            .max { $0.sequence < $1.sequence }
    }

    /// Puts `slot` (128 bytes, for `sequence`) into its place in `record`, in memory; written by
    /// the next ``writeStaged()``.
    func stage(_ slot: [UInt8], record: Int, sequence: UInt64) {
        state.withLock { state in
            let offset = Self.offset(ofRecord: record) + Int(ChangeLogStateFile.slotOffset(sequence: sequence)) - ChangeLogStateFile.slotSize
            state.mirror.replaceSubrange(offset..<(offset + ChangeLogStateFile.slotSize), with: slot)
            state.staged.insert(record)
        }
    }

    /// Fills `record` for a shape starting at `initial` (sequence 0, the other slot zero) and
    /// writes it through, flushed when `durable`: serve may read it as soon as the shape's
    /// definition is on disk.
    func initialize(_ record: Int, tag: UInt64, state initial: ChangeLogCommittedState, durable: Bool) throws(ShapeLogError) {
        var bytes = ChangeLogStateFile.encodeSlot(initial, sequence: 0, tag: tag)
        bytes += [UInt8](repeating: 0, count: ChangeLogStateFile.slotSize)
        state.withLock { state in
            let offset = Self.offset(ofRecord: record)
            state.mirror.replaceSubrange(offset..<(offset + Self.recordSize), with: bytes)
            state.staged.remove(record)
        }
        try ShapeLogIO.run { () throws(FileError) in try file.write(bytes, at: UInt64(Self.offset(ofRecord: record))) }
        if durable { try sync() }
    }

    /// Writes every staged record, in runs of nearby records (one `pwrite` each).
    func writeStaged() throws(ShapeLogError) {
        let runs: [(offset: Int, bytes: [UInt8])] = state.withLock { state in
            guard !state.staged.isEmpty else { return [] }
            let records = state.staged.sorted()
            state.staged.removeAll(keepingCapacity: true)
            var runs: [(Int, [UInt8])] = []
            var first = records[0]
            var last = first
            func flush() {
                let start = Self.offset(ofRecord: first)
                let end = Self.offset(ofRecord: last + 1)
                runs.append((start, Array(state.mirror[start..<end])))
            }
            for record in records.dropFirst() {
                if record - last > Self.runGap {
                    flush()
                    first = record
                }
                last = record
            }
            flush()
            return runs
        }
        for run in runs {
            try ShapeLogIO.run { () throws(FileError) in try file.write(run.bytes, at: UInt64(run.offset)) }
        }
    }

    /// Flushes the table (`fdatasync`).
    func sync() throws(ShapeLogError) {
        try ShapeLogIO.run { () throws(FileError) in try file.syncData() }
    }

    /// A descriptor on the storage file system, for `syncfs`.
    var fileSystemHandle: PosixFile { file }

    // MARK: Reading from another process

    /// The committed state in `record` for `tag` in the table at `path`, read from disk (serve);
    /// nil when the table or the record does not exist or holds no valid slot for `tag` (the
    /// shape is gone, or its record was never written).
    public static func readState(at location: ShapeStateLocation) throws(ShapeLogError) -> ChangeLogCommittedState? {
        guard location.record >= 0, let file = try ShapeLogIO.openIfExists(location.table) else { return nil }
        let bytes = try ShapeLogIO.run { () throws(FileError) in
            try file.readExactly(count: recordSize, at: UInt64(offset(ofRecord: location.record)))
        }
        guard let bytes else { return nil }
        return latestSlot(in: bytes, at: 0, tag: location.tag)?.state
    }
}

/// Where a shape's committed change-log state lives in a ``ShapeStateTable``.
public struct ShapeStateLocation: Sendable, Hashable {
    /// The table's path.
    public var table: String
    public var record: Int
    /// ``ShapeStateTable/tag(handle:)`` of the shape's handle.
    public var tag: UInt64

    public init(table: String, record: Int, handle: String) {
        self.table = table
        self.record = record
        self.tag = ShapeStateTable.tag(handle: handle)
    }
}
