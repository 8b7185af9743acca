#if canImport(Glibc)
    @preconcurrency import Glibc
#else
    import Darwin
#endif

/// Appends replicated changes to a shape's change log: `changes.log`, `changes.idx`,
/// `changes.chunks` and the committed state `changes.state` (see ``ShapeLogFormat`` and
/// ``ChangeLogStateFile``).
///
/// Owned by router's main loop, one per shape; the single writer of these files. Entries of a
/// transaction are ``append(offset:json:)``-ed, then ``commit(appliedThroughLSN:)`` makes them
/// durable and visible in one atomic step. Appended bytes are written through to the files once
/// the buffer passes 1 MiB, so a million-row transaction is never held in memory; that is safe
/// because readers only serve what `changes.state` says is committed.
///
/// A commit costs one `pwrite` per data file that grew plus one for the state slot; the four
/// descriptors come from a ``ShapeLogDescriptorCache`` (process-wide by default), so hot shapes
/// keep their files open while router's descriptor use stays bounded however many shapes exist.
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
    private var logBuffer: [UInt8] = []
    private var indexBuffer: [UInt8] = []
    private var chunkBuffer: [UInt8] = []
    /// File lengths already written (committed or not).
    private var logWritten: UInt64
    private var indexWritten: UInt64
    private var chunksWritten: UInt64
    /// The entry layouts of `changes.idx` and `changes.chunks` (version 2, or 1 for files an
    /// earlier release created).
    private let indexTable: ShapeLogEntryTable
    private let chunksTable: ShapeLogEntryTable
    /// Files were created without fsync (`durableCreation: false`): a commit that flushes file
    /// by file (not the whole file system) must make their directory entries durable first.
    private(set) var needsDirectorySync = false

    /// File numbers in the descriptor cache.
    private enum File: UInt8, CaseIterable {
        case log, index, chunks, state
    }

    /// Opens (creating if needed) the change log in `directory`, which must exist, and recovers:
    /// anything written after the last commit (router crashed mid-transaction) is truncated away.
    /// A missing `changes.state` is created (holding the empty state) and a version-1 one is
    /// rewritten in the two-slot format, both atomically, before any commit can touch them.
    ///
    /// - Parameters:
    ///   - descriptors: where open descriptors are kept between commits.
    ///   - durableCreation: false for a brand-new shape's files: they are created without fsync
    ///     and made durable by the next group commit's `syncfs` (before any entry is committed in
    ///     them, so an operating-system crash can only lose an empty log, which this initializer
    ///     recreates empty). True re-syncs what it creates or rewrites (recovery).
    /// - Throws: ``ShapeLogError/corrupt(path:detail:)`` when a file is shorter than its committed
    ///   state, has a foreign header, or `changes.state` has no valid slot.
    public init(
        directory: String,
        chunkThresholdBytes: Int,
        descriptors: ShapeLogDescriptorCache = .shared,
        durableCreation: Bool = true
    ) throws(ShapeLogError) {
        guard chunkThresholdBytes > 0 else { throw .misuse("chunk threshold must be positive") }
        let files = ShapeLogFiles(directory: directory)
        self.files = files
        self.chunkThresholdBytes = UInt64(chunkThresholdBytes)
        self.descriptors = descriptors
        self.owner = descriptors.makeOwner()
        let stored = try ShapeLogIO.readWholeFile(files.changeState)
        let slot = try stored.map { bytes throws(ShapeLogError) in try ChangeLogStateFile.decode(bytes, path: files.changeState) }
        let state = slot?.state ?? .empty
        var created = false
        let (log, logHeader) = try Self.open(
            files.changeLog, newHeader: ShapeLogFormat.fileHeader(magic: ShapeLogFormat.changeLogMagic), sync: durableCreation,
            created: &created)
        try ShapeLogFormat.checkFileHeader(logHeader, magic: ShapeLogFormat.changeLogMagic, path: files.changeLog)
        try Self.cut(log, files.changeLog, to: state.byteLength)
        let (index, indexHeader) = try Self.open(
            files.changeIndex, newHeader: ShapeLogEntryTable.changeIndex().fileHeader, sync: durableCreation, created: &created)
        let indexTable = try ShapeLogEntryTable.changeIndex().reading(header: indexHeader, path: files.changeIndex)
        try Self.cut(index, files.changeIndex, to: indexTable.length(entries: state.entryCount))
        let (chunks, chunksHeader) = try Self.open(
            files.changeChunks, newHeader: ShapeLogEntryTable.changeChunks().fileHeader, sync: durableCreation, created: &created)
        let chunksTable = try ShapeLogEntryTable.changeChunks().reading(header: chunksHeader, path: files.changeChunks)
        try Self.cut(chunks, files.changeChunks, to: chunksTable.length(entries: state.closedChunkCount))
        self.indexTable = indexTable
        self.chunksTable = chunksTable
        // `decode` accepted the file, so it is version 1 or a whole version-2 file.
        if let slot, stored?[4] == ChangeLogStateFile.version {
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
        self.needsDirectorySync = !durableCreation
        self.logWritten = state.byteLength
        self.indexWritten = indexTable.length(entries: state.entryCount)
        self.chunksWritten = chunksTable.length(entries: state.closedChunkCount)
        descriptors.adopt(key(.log), log)
        descriptors.adopt(key(.index), index)
        descriptors.adopt(key(.chunks), chunks)
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

    private func write(_ bytes: [UInt8], to file: File, at offset: UInt64) throws(ShapeLogError) {
        let handle = try handle(file)
        try ShapeLogIO.run { () throws(FileError) in try handle.write(bytes, at: offset) }
    }

    private func syncData(_ file: File) throws(ShapeLogError) {
        let handle = try handle(file)
        try ShapeLogIO.run { () throws(FileError) in try handle.syncData() }
    }

    private func truncate(_ file: File, to length: UInt64) throws(ShapeLogError) {
        let handle = try handle(file)
        try ShapeLogIO.run { () throws(FileError) in try handle.truncate(to: length) }
    }

    /// Opens `path`, writing `newHeader` into a new (or header-less) file, fsynced when `sync`
    /// (and setting `created`); returns the file and the header it holds.
    private static func open(_ path: String, newHeader: [UInt8], sync: Bool, created: inout Bool) throws(ShapeLogError)
        -> (PosixFile, header: [UInt8])
    {
        let file = try ShapeLogIO.open(path, flags: O_RDWR | O_CREAT)
        let size = try ShapeLogIO.run { () throws(FileError) in try file.size() }
        guard size < UInt64(ShapeLogFormat.fileHeaderSize) else {
            return (file, try ShapeLogIO.committedBytes(file, at: 0, count: ShapeLogFormat.fileHeaderSize))
        }
        try ShapeLogIO.run { () throws(FileError) in try file.truncate(to: 0) }
        try ShapeLogIO.run { () throws(FileError) in try file.write(newHeader, at: 0) }
        if sync { try ShapeLogIO.run { () throws(FileError) in try file.sync() } }
        created = true
        return (file, newHeader)
    }

    /// Truncates `file` to its committed `length` (what a crash left after it goes).
    /// - Throws: when the file is shorter than its committed state.
    private static func cut(_ file: PosixFile, _ path: String, to length: UInt64) throws(ShapeLogError) {
        let size = try ShapeLogIO.run { () throws(FileError) in try file.size() }
        guard size >= length else {
            throw .corrupt(path: path, detail: "missing data: committed length \(length), file \(size)")
        }
        if size > length {
            try ShapeLogIO.run { () throws(FileError) in try file.truncate(to: length) }
            try ShapeLogIO.run { () throws(FileError) in try file.sync() }
        }
    }

    /// Appends one entry; not visible to readers until ``commit(appliedThroughLSN:)``.
    ///
    /// - Parameters:
    ///   - offset: must be a change offset (`tx > 0`, finite op) above every earlier entry.
    ///   - json: the message exactly as it goes on the wire.
    public func append(offset: LogOffset, json: [UInt8]) throws(ShapeLogError) {
        guard offset.tx > 0, !offset.isInfinite else { throw .misuse("change offset \(offset) is not a WAL offset") }
        if let latest = pending.latest, offset <= latest {
            throw .misuse("offset \(offset) does not follow \(latest)")
        }
        let position = pending.byteLength
        ShapeLogFormat.appendFrame(json, to: &logBuffer)
        indexTable.append(UInt64(bitPattern: offset.tx), offset.op, position, to: &indexBuffer)
        pending.byteLength += UInt64(ShapeLogFormat.frameHeaderSize + json.count)
        pending.openChunkBytes += UInt64(json.count)
        if pending.openChunkBytes >= chunkThresholdBytes {
            chunksTable.append(pending.entryCount, to: &chunkBuffer)
            pending.closedChunkCount += 1
            pending.openChunkBytes = 0
        }
        pending.entryCount += 1
        pending.latest = offset
        if logBuffer.count + indexBuffer.count >= ShapeLogFormat.writeBufferBytes { try writeBuffers() }
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
        try syncData(.state)
        markGroupCommitted()
    }

    // MARK: Group commit steps (see ``commit(_:appliedThroughLSN:)``)

    /// Records the LSN and writes buffers; true when there are entries to publish.
    func prepareGroupCommit(appliedThroughLSN lsn: LSN) throws(ShapeLogError) -> Bool {
        pending.appliedThroughLSN = max(pending.appliedThroughLSN, lsn)
        guard hasUncommittedEntries else {
            committedState.appliedThroughLSN = pending.appliedThroughLSN
            return false
        }
        try writeBuffers()
        return true
    }

    /// Writes the pending state into the slot not holding ``committedState`` (a torn write
    /// leaves that slot, the previous commit, for readers and recovery).
    func writeStateSlot() throws(ShapeLogError) {
        let sequence = stateSequence + 1
        try write(
            ChangeLogStateFile.encodeSlot(pending, sequence: sequence),
            to: .state,
            at: ChangeLogStateFile.slotOffset(sequence: sequence)
        )
    }

    /// The portable fallback of the group commit's first flush: the data files that grew (and,
    /// once, the directory of files created without fsync).
    func syncDataFiles() throws(ShapeLogError) {
        if needsDirectorySync {
            try ShapeLogIO.syncDirectory(containing: files.changeLog)
            needsDirectorySync = false
        }
        try syncData(.log)
        try syncData(.index)
        if pending.closedChunkCount != committedState.closedChunkCount { try syncData(.chunks) }
    }

    /// The portable fallback of the group commit's second flush.
    func syncStateFile() throws(ShapeLogError) {
        try syncData(.state)
    }

    /// A descriptor on the storage file system, for `syncfs`.
    func fileSystemHandle() throws(ShapeLogError) -> PosixFile {
        try handle(.state)
    }

    /// The whole file system was flushed (`syncfs`): directory entries included.
    func fileSystemSynced() {
        needsDirectorySync = false
    }

    /// The state slot is durable: it is now the committed state.
    func markGroupCommitted() {
        committedState = pending
        stateSequence += 1
    }

    /// Drops the entries appended since the last commit (a transaction router decided to abort).
    public func discardUncommitted() throws(ShapeLogError) {
        Self.clear(&logBuffer)
        Self.clear(&indexBuffer)
        Self.clear(&chunkBuffer)
        let state = committedState
        let indexLength = indexTable.length(entries: state.entryCount)
        let chunksLength = chunksTable.length(entries: state.closedChunkCount)
        if logWritten > state.byteLength { try truncate(.log, to: state.byteLength) }
        if indexWritten > indexLength { try truncate(.index, to: indexLength) }
        if chunksWritten > chunksLength { try truncate(.chunks, to: chunksLength) }
        logWritten = state.byteLength
        indexWritten = indexLength
        chunksWritten = chunksLength
        pending = state
    }

    /// Appends the buffered bytes to the files: at most one `pwrite` per file.
    private func writeBuffers() throws(ShapeLogError) {
        if !logBuffer.isEmpty {
            try write(logBuffer, to: .log, at: logWritten)
            logWritten += UInt64(logBuffer.count)
            Self.clear(&logBuffer)
        }
        if !indexBuffer.isEmpty {
            try write(indexBuffer, to: .index, at: indexWritten)
            indexWritten += UInt64(indexBuffer.count)
            Self.clear(&indexBuffer)
        }
        if !chunkBuffer.isEmpty {
            try write(chunkBuffer, to: .chunks, at: chunksWritten)
            chunksWritten += UInt64(chunkBuffer.count)
            Self.clear(&chunkBuffer)
        }
    }

    /// Empties a buffer, keeping a small allocation for the next transaction (so a hot shape does
    /// not reallocate per commit) but never a large one (router holds a writer per shape).
    private static func clear(_ buffer: inout [UInt8]) {
        buffer.removeAll(keepingCapacity: buffer.capacity <= 64 << 10)
    }
}
