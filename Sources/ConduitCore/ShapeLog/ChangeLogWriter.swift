#if canImport(Glibc)
    @preconcurrency import Glibc
#else
    import Darwin
#endif

/// Appends replicated changes to a shape's change log: `changes.log`, `changes.chunks` (created
/// when the first chunk closes) and, for logs of earlier releases (``ChangeLogLayout``),
/// `changes.idx`; publishes its committed state in its record of the shared ``ShapeStateTable``
/// or, for shapes created before the table, in `changes.state` (see ``ShapeLogFormat`` and
/// ``ChangeLogStateFile``).
///
/// Owned by router's main loop, one per shape; the single writer of these files. Entries of a
/// transaction are ``append(offset:json:)``-ed, then ``commit(appliedThroughLSN:)`` makes them
/// durable and visible in one atomic step. Appended bytes are written through to the files once
/// the buffer passes 1 MiB, so a million-row transaction is never held in memory; that is safe
/// because readers only serve what `changes.state` says is committed.
///
/// Appends never change a file's size in the common case: a write that passes the end of a file
/// pads it with zeros to a 4 KiB boundary beyond (``paddedLength(_:)``), so the next appends are
/// overwrites inside allocated blocks. A flush then writes the data blocks only, not an inode
/// whose size changed plus a journal commit: measured on ext4, `syncfs` after a small write to
/// each of 10,000 files took 0.37 s when the writes extended the files and 0.10 s when they did
/// not. Readers never look past the committed state, so the zeros (and, after a crash, whatever
/// was written past the last commit) are never read; the writer overwrites them.
///
/// A commit costs one `pwrite` per data file that grew plus the state slot (staged in the shared
/// ``ShapeStateTable``, or one `pwrite` into `changes.state`); the descriptors come from a
/// ``ShapeLogDescriptorCache`` (process-wide by default), so hot shapes keep their files open
/// while router's descriptor use stays bounded however many shapes exist.
///
/// Chunking (protocol.md §7.4, WAL log): a running count adds each entry's JSON size; when it
/// reaches the threshold the chunk closes at that entry. The count survives restarts in the
/// committed state.
public final class ChangeLogWriter {
    private let files: ShapeLogFiles
    private let chunkThresholdBytes: UInt64
    private let descriptors: ShapeLogDescriptorCache
    /// This writer's token in ``descriptors``.
    private let owner: UInt64

    /// The state last made durable and visible (``appliedThroughLSN`` may be newer in memory; see
    /// ``commit(appliedThroughLSN:)``).
    public private(set) var committedState: ChangeLogCommittedState
    /// The sequence of ``committedState`` in `changes.state`; the next commit writes
    /// `stateSequence + 1` into the other slot.
    private(set) var stateSequence: UInt64
    /// Committed state plus the appended, uncommitted entries.
    private var pending: ChangeLogCommittedState
    /// The state a group commit in progress publishes (``prepareGroupCommit(appliedThroughLSN:)``
    /// to ``markGroupCommitted()``); appends made meanwhile belong to the next commit.
    private var sealed: ChangeLogCommittedState?
    private var logBuffer: [UInt8] = []
    /// How many bytes ``logBuffer`` held when it was last written out: the first entry after a
    /// commit reserves that much at once (``reserveLogBuffer()``), instead of growing the buffer
    /// again from nothing, one doubling per entry.
    private var logBufferHint = 0
    /// Where the open entry's frame starts in ``logBuffer`` (``open(offset:rendering:)``).
    private var openFrame: Int?
    private var indexBuffer: [UInt8] = []
    private var chunkBuffer: [UInt8] = []
    /// File lengths already written (committed or not).
    private var logWritten: UInt64
    private var indexWritten: UInt64
    private var chunksWritten: UInt64
    /// File sizes, padding included: writes ending at or below these change no file's size.
    private var logAllocated: UInt64
    private var indexAllocated: UInt64
    private var chunksAllocated: UInt64
    /// False until the first chunk closes in a shape whose `changes.chunks` does not exist yet
    /// (an existing file holds at least its header).
    private var hasChunksFile: Bool { chunksAllocated > 0 }
    /// The log's layout: version 3, or an earlier release's indexed one.
    public let layout: ChangeLogLayout
    /// The entry layout of `changes.idx` (version 2, or 1 for files an earlier release created);
    /// nil for a version-3 log, whose frames carry their offsets.
    private let indexTable: ShapeLogEntryTable?
    /// The entry layout of `changes.chunks` (version 3 beside a version-3 log; 2 or 1 otherwise).
    private let chunksTable: ShapeLogEntryTable
    /// Where the committed state is published: the folder's `changes.state` or a record of the
    /// shared ``ShapeStateTable``.
    let stateStore: ChangeLogStateStore
    /// Files created without fsync (`durableCreation: false`, a first `changes.chunks`) that no
    /// flush has covered yet: a commit that flushes file by file (not the whole file system) must
    /// make their directory entries durable first.
    private var unsyncedCreations = 0
    /// ``unsyncedCreations`` when a group commit in progress sealed its state: the flush that
    /// commit runs may have started before a file created after the seal.
    private var unsyncedCreationsAtSeal = 0
    var needsDirectorySync: Bool { unsyncedCreations > 0 }

    /// File numbers in the descriptor cache.
    private enum File: UInt8, CaseIterable {
        case log, index, chunks, state
    }

    /// Opens (creating if needed) the change log in `directory`, which must exist, and recovers:
    /// anything written after the last commit (router crashed mid-transaction) is ignored, and
    /// overwritten by the next appends.
    /// A missing `changes.state` is created (holding the empty state) and a version-1 one is
    /// rewritten in the two-slot format, both atomically, before any commit can touch them.
    ///
    /// - Parameters:
    ///   - stateStore: where the committed state is read and published; the table's record
    ///     must hold a valid state for the shape unless it is `fresh`.
    ///   - descriptors: where open descriptors are kept between commits.
    ///   - document: the shape's document (``ChangeLogDocument``), written at the start of a
    ///     `changes.log` this creates; nil creates a log without one, for a shape whose
    ///     definition is in `shape.json`. An existing log keeps what it holds, and its layout.
    ///   - indexedLayout: creates a new log in the layout of earlier releases (version 2 with a
    ///     document, 1 without, positions in `changes.idx`), for tests of logs those releases left.
    ///   - durableCreation: false for a brand-new shape's files: they are created without fsync
    ///     and made durable by the next group commit's `syncfs` (before any entry is committed in
    ///     them, so an operating-system crash can only lose an empty log, which this initializer
    ///     recreates empty). True re-syncs what it creates or rewrites (recovery).
    /// - Throws: ``ShapeLogError/corrupt(path:detail:)`` when a file is shorter than its committed
    ///   state, has a foreign header, `changes.state` has no valid slot, or the table's record
    ///   holds no state for an existing shape.
    public init(
        directory: String,
        chunkThresholdBytes: Int,
        stateStore: ChangeLogStateStore = .file,
        descriptors: ShapeLogDescriptorCache = .shared,
        document: [UInt8]? = nil,
        indexedLayout: Bool = false,
        durableCreation: Bool = true
    ) throws(ShapeLogError) {
        guard chunkThresholdBytes > 0 else { throw .misuse("chunk threshold must be positive") }
        let files = ShapeLogFiles(directory: directory)
        self.files = files
        self.chunkThresholdBytes = UInt64(chunkThresholdBytes)
        self.descriptors = descriptors
        self.owner = descriptors.makeOwner()
        self.stateStore = stateStore
        let stored: [UInt8]?
        let slot: ChangeLogStateFile.Slot?
        switch stateStore {
        case .file:
            stored = try ShapeLogIO.readWholeFile(files.changeState)
            slot = try stored.map { bytes throws(ShapeLogError) in try ChangeLogStateFile.decode(bytes, path: files.changeState) }
        case .table(let table, let record, let tag, let fresh):
            stored = nil
            if fresh {
                slot = nil
            } else {
                guard let found = table.latestSlot(record, tag: tag) else {
                    throw .corrupt(path: table.path, detail: "record \(record) holds no state for the shape in \(directory)")
                }
                slot = found
            }
        }
        var created = false
        let newLayout = ChangeLogLayout(hasDocument: document != nil, indexed: indexedLayout)
        let log = try Self.open(
            files.changeLog, newHeader: ChangeLogDocument.fileStart(layout: newLayout, document: document),
            sync: durableCreation, created: &created)
        try ShapeLogFormat.checkFileHeader(
            log.header, magic: ShapeLogFormat.changeLogMagic, path: files.changeLog,
            versions: ShapeLogFormat.logVersions(ShapeLogFormat.changeLogMagic))
        let layout = ChangeLogLayout(header: log.header)
        let entriesStart = try ChangeLogDocument.entriesStart(of: log.file, header: log.header, path: files.changeLog)
        let state = slot?.state ?? .empty(entriesStart: entriesStart)
        guard state.byteLength >= entriesStart else {
            throw .corrupt(path: files.changeLog, detail: "committed length \(state.byteLength) ends inside the shape's document")
        }
        try Self.check(log, files.changeLog, holds: state.byteLength)
        // Only an earlier release's log has `changes.idx`: a version-3 log's frames carry their
        // offsets, so a new shape is one inode fewer and a commit one write fewer (issue 11).
        var index: OpenedFile?
        var indexTable: ShapeLogEntryTable?
        if layout.isIndexed {
            let opened = try Self.open(
                files.changeIndex, newHeader: ShapeLogEntryTable.changeIndex().fileHeader, sync: durableCreation, created: &created)
            let table = try ShapeLogEntryTable.changeIndex().reading(header: opened.header, path: files.changeIndex)
            try Self.check(opened, files.changeIndex, holds: table.length(entries: state.entryCount))
            index = opened
            indexTable = table
        }
        // `changes.chunks` is created when the first chunk closes: most shapes never close one,
        // and each file a new shape creates is an inode allocated on router's thread (issue 11).
        var chunksTable = layout.chunksTable
        var chunksSize: UInt64?
        if let chunks = try Self.openIfPresent(files.changeChunks, newHeader: chunksTable.fileHeader, sync: durableCreation) {
            chunksTable = try chunksTable.reading(header: chunks.header, path: files.changeChunks)
            try Self.check(chunks, files.changeChunks, holds: chunksTable.length(entries: state.closedChunkCount))
            chunksSize = chunks.size
        } else if state.closedChunkCount > 0 {
            throw .corrupt(path: files.changeChunks, detail: "missing while \(state.closedChunkCount) chunks are committed")
        }
        self.layout = layout
        self.indexTable = indexTable
        self.chunksTable = chunksTable
        if case .table(let table, let record, let tag, let fresh) = stateStore {
            self.stateSequence = slot?.sequence ?? 0
            if fresh { try table.initialize(record, tag: tag, state: state, durable: durableCreation) }
            if created && durableCreation { try ShapeLogIO.syncDirectory(containing: files.changeLog) }
        } else if let slot, stored?[4] == ChangeLogStateFile.version {
            // `decode` accepted the file, so it is version 1 or a whole version-2 file.
            self.stateSequence = slot.sequence
            // A file created above needs its directory entry made durable; a restart that found
            // every file (the common case, once per shape) syncs nothing.
            if created && durableCreation { try ShapeLogIO.syncDirectory(containing: files.changeLog) }
        } else {
            // Absent or version 1: write the two-slot file whole (this also syncs the directory
            // when durable).
            self.stateSequence = 0
            try ShapeLogIO.atomicWrite(
                ChangeLogStateFile.initialFile(state, sequence: 0), to: files.changeState, durable: durableCreation)
        }
        self.committedState = state
        self.pending = state
        self.unsyncedCreations = durableCreation ? 0 : 1
        self.logWritten = state.byteLength
        self.indexWritten = indexTable?.length(entries: state.entryCount) ?? 0
        self.chunksWritten = chunksTable.length(entries: state.closedChunkCount)
        self.logAllocated = log.size
        self.indexAllocated = index?.size ?? 0
        self.chunksAllocated = chunksSize ?? 0
        // `changes.chunks` grows once per closed chunk: opened when it does.
        descriptors.adopt(key(.log), log.file)
        if let index { descriptors.adopt(key(.index), index.file) }
    }

    deinit {
        descriptors.removeAll(owner: owner, files: UInt8(File.allCases.count))
    }

    private func key(_ file: File) -> ShapeLogDescriptorCache.Key {
        ShapeLogDescriptorCache.Key(owner: owner, file: file.rawValue)
    }

    /// This writer's open handle for `file` (opened again if the cache evicted it). Hold it only
    /// for the current operation.
    private func handle(_ file: File) throws(ShapeLogError) -> PosixFile {
        let path: String
        switch file {
        case .log: path = files.changeLog
        case .index: path = files.changeIndex
        case .chunks: path = files.changeChunks
        case .state: path = files.changeState
        }
        return try descriptors.handle(key(file), path: path, flags: O_RDWR)
    }

    private func write(_ bytes: [UInt8], to file: File, at offset: UInt64, followedByZeros zeros: Int = 0) throws(ShapeLogError) {
        let handle = try handle(file)
        try ShapeLogIO.run { () throws(FileError) in try handle.write(bytes, followedByZeros: zeros, at: offset) }
    }

    private func syncData(_ file: File) throws(ShapeLogError) {
        let handle = try handle(file)
        try ShapeLogIO.run { () throws(FileError) in try handle.syncData() }
    }

    /// An open data file: its header (and, when the file is that long, the 8 bytes after it) and
    /// size.
    private struct OpenedFile {
        var file: PosixFile
        var header: [UInt8]
        var size: UInt64
    }

    /// Opens `path`, writing `newHeader` into a new (or header-less) file, fsynced when `sync`
    /// (and setting `created`).
    private static func open(_ path: String, newHeader: [UInt8], sync: Bool, created: inout Bool) throws(ShapeLogError)
        -> OpenedFile
    {
        try prepare(ShapeLogIO.open(path, flags: O_RDWR | O_CREAT), newHeader: newHeader, sync: sync, created: &created)
    }

    /// ``open(_:newHeader:sync:created:)`` for a file that is created later: nil when it does
    /// not exist.
    private static func openIfPresent(_ path: String, newHeader: [UInt8], sync: Bool) throws(ShapeLogError) -> OpenedFile? {
        guard let file = try ShapeLogIO.openIfExists(path) else { return nil }
        var created = false
        return try prepare(file, newHeader: newHeader, sync: sync, created: &created)
    }

    /// Reads the header of an open data file, or writes `newHeader` into it when it has none.
    private static func prepare(_ file: PosixFile, newHeader: [UInt8], sync: Bool, created: inout Bool) throws(ShapeLogError)
        -> OpenedFile
    {
        let size = try ShapeLogIO.run { () throws(FileError) in try file.size() }
        guard size < UInt64(ShapeLogFormat.fileHeaderSize) else {
            // With the next 8 bytes: a version-2 change log's document frame header
            // (``ChangeLogDocument/entriesStart(of:header:path:)``), in the same read.
            let start = try ShapeLogIO.run { () throws(FileError) in
                try file.read(count: ShapeLogFormat.fileHeaderSize + ShapeLogFormat.frameHeaderSize, at: 0)
            }
            return OpenedFile(file: file, header: start, size: size)
        }
        // Padded like any append, so the first commits do not change the file's size either. The
        // write covers whatever a crash left of a header (fewer than 8 bytes), so nothing is
        // truncated first: on ext4 a truncation to zero marks the file to be flushed at its next
        // close (`auto_da_alloc`), and that close was serve's first read of the shape.
        let padded = paddedLength(UInt64(newHeader.count))
        let zeros = Int(padded) - newHeader.count
        try ShapeLogIO.run { () throws(FileError) in try file.write(newHeader, followedByZeros: zeros, at: 0) }
        if sync { try ShapeLogIO.run { () throws(FileError) in try file.sync() } }
        created = true
        return OpenedFile(file: file, header: newHeader, size: padded)
    }

    /// Checks that `file` holds its committed `length` (what lies past it is ignored).
    /// - Throws: when the file is shorter than its committed state.
    private static func check(_ file: OpenedFile, _ path: String, holds length: UInt64) throws(ShapeLogError) {
        guard file.size >= length else {
            throw .corrupt(path: path, detail: "missing data: committed length \(length), file \(file.size)")
        }
    }

    /// The size a file is given when a write ends at `end`, past its current size: the next 4 KiB
    /// boundary after `end` plus an eighth of `end` (at most 1 MiB), so a growing log changes its
    /// size (an inode update and a journal commit at the next flush) once per 4 KiB while small
    /// and about once per eighth of its length after, and wastes at most that.
    static func paddedLength(_ end: UInt64) -> UInt64 {
        let page: UInt64 = 4096
        let grown = end + min(end / 8, 1 << 20)
        return (grown / page + 1) * page
    }

    /// Appends one entry; not visible to readers until ``commit(appliedThroughLSN:)``.
    ///
    /// - Parameters:
    ///   - offset: must be a change offset (`tx > 0`, finite op) above every earlier entry.
    ///   - json: the message exactly as it goes on the wire.
    public func append(offset: LogOffset, json: [UInt8]) throws(ShapeLogError) {
        try append(offset: offset) { $0.append(contentsOf: json) }
    }

    /// Appends one entry whose JSON `render` appends to the buffer it is given (the log's own
    /// buffer: the message is rendered in place, not copied); otherwise like
    /// ``append(offset:json:)``.
    public func append(offset: LogOffset, rendering render: (inout [UInt8]) -> Void) throws(ShapeLogError) {
        let entry = try open(offset: offset) { buffer in
            render(&buffer)
            return buffer.count
        }
        try close(entry)
    }

    /// Appends one entry like ``append(offset:rendering:)`` but leaves it open: until
    /// ``close(_:inserting:)``, bytes can still be inserted into its JSON at the position `render`
    /// returns (an index into the buffer it is given). router renders a change the moment it
    /// routes it, before it knows whether it is its transaction's last for the shape (the entry
    /// that carries `"last":true`), instead of keeping its parts in arrays of their own until the
    /// next one arrives. One entry at a time is open, and nothing else is appended or committed
    /// meanwhile.
    public func open(offset: LogOffset, rendering render: (inout [UInt8]) -> Int) throws(ShapeLogError) -> OpenChangeEntry {
        guard openFrame == nil else { throw .misuse("an entry of \(files.changeLog) is already open") }
        guard offset.tx > 0, !offset.isInfinite else { throw .misuse("change offset \(offset) is not a WAL offset") }
        if let latest = pending.latest, offset <= latest {
            throw .misuse("offset \(offset) does not follow \(latest)")
        }
        if logBuffer.isEmpty { reserveLogBuffer() }
        let frame = ShapeLogFormat.beginFrame(in: &logBuffer, layout: layout.entryFrames, offset: layout.isIndexed ? nil : offset)
        let insertion = render(&logBuffer)
        precondition((frame...logBuffer.count).contains(insertion), "the insertion point lies outside the entry")
        openFrame = frame
        return OpenChangeEntry(offset: offset, frame: frame, insertion: insertion)
    }

    /// Ends the open `entry`, first inserting `text` at its insertion point; then it is appended
    /// like any other (``append(offset:rendering:)``).
    public func close(_ entry: OpenChangeEntry, inserting text: StaticString? = nil) throws(ShapeLogError) {
        guard openFrame == entry.frame else { throw .misuse("closing an entry of \(files.changeLog) that is not open") }
        openFrame = nil
        if let text { Self.insert(text, at: entry.insertion, in: &logBuffer) }
        let count = ShapeLogFormat.finishFrame(in: &logBuffer, at: entry.frame, layout: layout.entryFrames)
        let offset = entry.offset
        // An earlier release's log keeps the offset in `changes.idx`, a version-3 log in the frame.
        indexTable?.append(UInt64(bitPattern: offset.tx), offset.op, pending.byteLength, to: &indexBuffer)
        pending.byteLength += UInt64(layout.entryFrames.frameSize(payload: count))
        pending.openChunkBytes += UInt64(count)
        if pending.openChunkBytes >= chunkThresholdBytes {
            // Version 3 records where the chunk ends and its last offset (version 2: the ordinal).
            chunksTable.append(pending.entryCount, pending.byteLength, UInt64(bitPattern: offset.tx), offset.op, to: &chunkBuffer)
            pending.closedChunkCount += 1
            pending.openChunkBytes = 0
        }
        pending.entryCount += 1
        pending.latest = offset
        if logBuffer.count + indexBuffer.count >= ShapeLogFormat.writeBufferBytes { try writeBuffers() }
    }

    /// Inserts `text` at `position` of `buffer`: the bytes after it (the rest of one entry) move
    /// by `memmove`, not through the generic `insert(contentsOf:at:)`, which cost router more
    /// than the move itself for every transaction's last entry of a shape.
    private static func insert(_ text: StaticString, at position: Int, in buffer: inout [UInt8]) {
        let count = text.utf8CodeUnitCount
        let tail = buffer.count - position
        buffer.append(contentsOf: repeatElement(0, count: count))
        buffer.withUnsafeMutableBufferPointer { bytes in
            let base = bytes.baseAddress!
            memmove(base + position + count, base + position, tail)
            memcpy(base + position, text.utf8Start, count)
        }
    }

    /// Removes the open `entry` from the buffer, as if it had never been appended.
    public func discard(_ entry: OpenChangeEntry) {
        guard openFrame == entry.frame else { return }
        openFrame = nil
        logBuffer.removeSubrange(entry.frame...)
    }

    /// True when entries were appended since the last commit.
    public var hasUncommittedEntries: Bool { pending.entryCount != committedState.entryCount }

    /// Ends a transaction: makes the appended entries durable and visible, recording that the
    /// shape has applied everything up to `appliedThroughLSN`.
    ///
    /// Writes buffers, flushes the data files that grew, writes the next state slot and flushes
    /// it. When nothing was appended it only advances ``committedState``'s LSN in memory, with no
    /// I/O: replaying a transaction that produced nothing for this shape produces nothing again,
    /// so a stale on-disk LSN is harmless and the common "transaction didn't touch this shape"
    /// path costs nothing.
    public func commit(appliedThroughLSN lsn: LSN) throws(ShapeLogError) {
        guard try prepareGroupCommit(appliedThroughLSN: lsn) else { return }
        try syncDataFiles()
        try writeStateSlot()
        try syncStateFile()
        markGroupCommitted()
    }

    // MARK: Group commit steps (see ``commit(_:appliedThroughLSN:)``)

    /// Records the LSN and writes buffers; true when there are entries to publish, whose state is
    /// then sealed: the slot written and the state committed are this one, whatever is appended
    /// before the commit's last step.
    ///
    /// With a `journal` record, the bytes this commit publishes are added to it as they are
    /// written (``CommitJournal``); when they cannot all be (bytes written through before, or a
    /// file created without fsync whose directory entry a flush must cover), `journal` becomes
    /// nil and the commit must flush the file system instead.
    func prepareGroupCommit(appliedThroughLSN lsn: LSN, journal: inout CommitJournal.Record?) throws(ShapeLogError) -> Bool {
        guard sealed == nil else { throw .misuse("a group commit of \(files.changeLog) is already in progress") }
        guard openFrame == nil else { throw .misuse("a group commit of \(files.changeLog) with an entry still open") }
        pending.appliedThroughLSN = max(pending.appliedThroughLSN, lsn)
        guard hasUncommittedEntries else {
            committedState.appliedThroughLSN = pending.appliedThroughLSN
            return false
        }
        if journal != nil, try !addBuffers(to: &journal!) { journal = nil }
        try writeBuffers()
        sealed = pending
        unsyncedCreationsAtSeal = unsyncedCreations
        return true
    }

    /// ``prepareGroupCommit(appliedThroughLSN:journal:)`` without a journal.
    func prepareGroupCommit(appliedThroughLSN lsn: LSN) throws(ShapeLogError) -> Bool {
        var none: CommitJournal.Record?
        return try prepareGroupCommit(appliedThroughLSN: lsn, journal: &none)
    }

    /// Writes the pending state into the slot not holding ``committedState`` (a torn write
    /// leaves that slot, the previous commit, for readers and recovery).
    /// With a ``ShapeStateTable`` the slot is only staged in the table's memory; the table's
    /// ``ShapeStateTable/writeStaged()`` writes it.
    func writeStateSlot() throws(ShapeLogError) {
        let sequence = stateSequence + 1
        let state = sealed ?? pending
        switch stateStore {
        case .file:
            try write(
                ChangeLogStateFile.encodeSlot(state, sequence: sequence),
                to: .state,
                at: ChangeLogStateFile.slotOffset(sequence: sequence)
            )
        case .table(let table, let record, let tag, _):
            table.stage(ChangeLogStateFile.encodeSlot(state, sequence: sequence, tag: tag), record: record, sequence: sequence)
        }
    }

    /// The portable fallback of the group commit's first flush: the data files that grew (and,
    /// once, the directory of files created without fsync).
    func syncDataFiles() throws(ShapeLogError) {
        if needsDirectorySync {
            try ShapeLogIO.syncDirectory(containing: files.changeLog)
            unsyncedCreations = 0
            unsyncedCreationsAtSeal = 0
        }
        try syncData(.log)
        if indexTable != nil { try syncData(.index) }
        if (sealed ?? pending).closedChunkCount != committedState.closedChunkCount { try syncData(.chunks) }
    }

    /// Writes and flushes this writer's state slot alone (a commit of one shape), or, in a group
    /// commit on a platform without `syncfs`, flushes its `changes.state`.
    func syncStateFile() throws(ShapeLogError) {
        switch stateStore {
        case .file:
            try syncData(.state)
        case .table(let table, _, _, _):
            try table.writeStaged()
            try table.sync()
        }
    }

    /// The shared table this writer publishes to, if any.
    var stateTable: ShapeStateTable? {
        if case .table(let table, _, _, _) = stateStore { return table }
        return nil
    }

    /// A descriptor on the storage file system, for `syncfs`.
    func fileSystemHandle() throws(ShapeLogError) -> PosixFile {
        try handle(.log)
    }

    /// The whole file system was flushed (`syncfs`, started after this writer's group commit
    /// sealed its state): directory entries included, of the files created by then.
    func fileSystemSynced() {
        unsyncedCreations -= unsyncedCreationsAtSeal
        unsyncedCreationsAtSeal = 0
    }

    /// The state slot is durable: it is now the committed state.
    func markGroupCommitted() {
        committedState = sealed ?? pending
        sealed = nil
        stateSequence += 1
    }

    /// Drops the entries appended since the last commit (a transaction router decided to abort),
    /// or since a group commit in progress sealed its state.
    /// Bytes already written past the committed state stay, unread, until appends overwrite them.
    public func discardUncommitted() {
        Self.clear(&logBuffer)
        Self.clear(&indexBuffer)
        Self.clear(&chunkBuffer)
        let state = sealed ?? committedState
        logWritten = state.byteLength
        indexWritten = indexTable?.length(entries: state.entryCount) ?? 0
        chunksWritten = chunksTable.length(entries: state.closedChunkCount)
        pending = state
    }

    /// Adds the buffered bytes to a journal record; false when they are not all this commit
    /// publishes, or a file they go into was created without fsync.
    private func addBuffers(to record: inout CommitJournal.Record) throws(ShapeLogError) -> Bool {
        guard !needsDirectorySync, chunkBuffer.isEmpty || hasChunksFile, logWritten == committedState.byteLength,
            indexWritten == indexTable?.length(entries: committedState.entryCount) ?? 0,
            chunksWritten == chunksTable.length(entries: committedState.closedChunkCount)
        else { return false }
        guard try record.add(path: files.changeLog, offset: logWritten, data: logBuffer),
            try record.add(path: files.changeIndex, offset: indexWritten, data: indexBuffer)
        else { return false }
        return try record.add(path: files.changeChunks, offset: chunksWritten, data: chunkBuffer)
    }

    /// Gives an empty ``logBuffer`` the capacity the last commit's bytes needed. A shape's buffer
    /// keeps at most 4 KiB between commits (``clear(_:)``); one that needs more grew again by
    /// doubling, entry after entry, and that growth was a tenth of router's routing loop
    /// (`malloc`, copies, and the arena's page faults) with 10,000 shapes of a few KiB each.
    private func reserveLogBuffer() {
        let wanted = min(logBufferHint, ShapeLogFormat.writeBufferBytes)
        if logBuffer.capacity < wanted { logBuffer.reserveCapacity(wanted) }
    }

    /// Appends the buffered bytes to the files: at most one `pwrite` per file.
    private func writeBuffers() throws(ShapeLogError) {
        if !logBuffer.isEmpty { logBufferHint = logBuffer.count }
        try append(&logBuffer, to: .log, written: &logWritten, allocated: &logAllocated)
        try append(&indexBuffer, to: .index, written: &indexWritten, allocated: &indexAllocated)
        if !chunkBuffer.isEmpty && !hasChunksFile { try createChunksFile() }
        try append(&chunkBuffer, to: .chunks, written: &chunksWritten, allocated: &chunksAllocated)
    }

    /// Creates `changes.chunks` for the first chunk that closes, without fsync: the commit that
    /// publishes the chunk flushes it (`syncfs`, or the directory and the file one by one).
    private func createChunksFile() throws(ShapeLogError) {
        var created = false
        let chunks = try Self.open(files.changeChunks, newHeader: chunksTable.fileHeader, sync: false, created: &created)
        chunksAllocated = chunks.size
        unsyncedCreations += 1
    }

    /// Writes `buffer` at `written` in one `pwrite` (`pwritev` with zero padding after it when it
    /// passes `allocated`, see ``paddedLength(_:)``) and empties it.
    private func append(_ buffer: inout [UInt8], to file: File, written: inout UInt64, allocated: inout UInt64)
        throws(ShapeLogError)
    {
        guard !buffer.isEmpty else { return }
        let count = UInt64(buffer.count)
        let end = written + count
        let padding = end > allocated ? Self.paddedLength(end) - end : 0
        try write(buffer, to: file, at: written, followedByZeros: Int(padding))
        allocated = max(allocated, end + padding)
        written = end
        Self.clear(&buffer)
    }

    /// Empties a buffer, keeping a small allocation for the next transaction (so a hot shape does
    /// not reallocate per commit) but never a large one: router holds a writer per shape, and
    /// keeping up to 64 KiB each grew router by 139 MB draining 200,000 rows into 10,000 shapes
    /// (bench/e2e's routing row; 73 MB with at most 4 KiB kept).
    private static func clear(_ buffer: inout [UInt8]) {
        buffer.removeAll(keepingCapacity: buffer.capacity <= 4 << 10)
    }
}

/// Where a ``ChangeLogWriter`` publishes its committed state.
public enum ChangeLogStateStore {
    /// `changes.state` in the shape's folder (``ChangeLogStateFile``): shapes created before the
    /// shared table, and tools and tests working on one folder.
    case file
    /// A record of router's ``ShapeStateTable``, checked against the shape's tag
    /// (``ShapeStateTable/tag(handle:)``). `fresh` for a new shape: the record is filled with
    /// the empty state; otherwise it must already hold the shape's state.
    case table(ShapeStateTable, record: Int, tag: UInt64, fresh: Bool)
}

/// An entry appended with ``ChangeLogWriter/open(offset:rendering:)`` and not closed yet.
public struct OpenChangeEntry: Sendable {
    public let offset: LogOffset
    /// Where its frame starts in the writer's buffer.
    let frame: Int
    /// Where ``ChangeLogWriter/close(_:inserting:)`` inserts its text.
    let insertion: Int
}
