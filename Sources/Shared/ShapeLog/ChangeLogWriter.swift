#if canImport(Glibc)
@preconcurrency import Glibc
#else
import Darwin
#endif

/// Appends replicated changes to a shape's change log: `changes.log`, `changes.idx`,
/// `changes.chunks` and the committed state `changes.state` (see ``ShapeLogFormat``).
///
/// Owned by router's main loop, one per shape; the single writer of these files. Entries of a
/// transaction are ``append(offset:json:)``-ed, then ``commit(appliedThroughLSN:)`` makes them
/// durable and visible in one atomic step. Appended bytes are written through to the files once
/// the buffer passes 1 MiB, so a million-row transaction is never held in memory; that is safe
/// because readers only serve what `changes.state` says is committed.
///
/// Chunking (protocol.md §7.4, WAL log): a running count adds each entry's JSON size; when it
/// reaches the threshold the chunk closes at that entry. The count survives restarts in the
/// committed state.
///
/// File descriptors are held only while writing (write-through, commit, recovery), so router can
/// keep a writer for every shape without running into the process's descriptor limit.
public final class ChangeLogWriter {
    private let files: ShapeLogFiles
    private let chunkThresholdBytes: UInt64

    /// The state last made durable and visible (``appliedThroughLSN`` may be newer in memory; see
    /// ``commit(appliedThroughLSN:)``).
    public private(set) var committedState: ChangeLogCommittedState
    /// Committed state plus the appended, uncommitted entries.
    private var pending: ChangeLogCommittedState
    private var logBuffer: [UInt8] = []
    private var indexBuffer: [UInt8] = []
    private var chunkBuffer: [UInt8] = []
    /// File lengths already written (committed or not).
    private var logWritten: UInt64
    private var indexWritten: UInt64
    private var chunksWritten: UInt64

    /// Opens (creating if needed) the change log in `directory`, which must exist, and recovers:
    /// anything written after the last commit (router crashed mid-transaction) is truncated away.
    ///
    /// - Throws: ``ShapeLogError/corrupt(path:detail:)`` when a file is shorter than its committed
    ///   state or has a foreign header.
    public init(directory: String, chunkThresholdBytes: Int) throws(ShapeLogError) {
        guard chunkThresholdBytes > 0 else { throw .misuse("chunk threshold must be positive") }
        let files = ShapeLogFiles(directory: directory)
        self.files = files
        self.chunkThresholdBytes = UInt64(chunkThresholdBytes)
        let state: ChangeLogCommittedState
        if let bytes = try ShapeLogIO.readWholeFile(files.changeState) {
            state = try ChangeLogCommittedState(decoding: bytes, path: files.changeState)
        } else {
            state = .empty
        }
        let header = UInt64(ShapeLogFormat.fileHeaderSize)
        _ = try Self.recover(files.changeLog, ShapeLogFormat.changeLogMagic, length: state.byteLength)
        _ = try Self.recover(
            files.changeIndex,
            ShapeLogFormat.changeIndexMagic,
            length: header + state.entryCount * UInt64(ShapeLogFormat.indexEntrySize)
        )
        _ = try Self.recover(
            files.changeChunks,
            ShapeLogFormat.changeChunksMagic,
            length: header + state.closedChunkCount * UInt64(ShapeLogFormat.chunkEntrySize)
        )
        try ShapeLogIO.syncDirectory(containing: files.changeLog)
        self.committedState = state
        self.pending = state
        self.logWritten = state.byteLength
        self.indexWritten = header + state.entryCount * UInt64(ShapeLogFormat.indexEntrySize)
        self.chunksWritten = header + state.closedChunkCount * UInt64(ShapeLogFormat.chunkEntrySize)
    }

    /// Opens `path`, writes the header into a new file, or truncates an existing one to `length`.
    private static func recover(_ path: String, _ magic: [UInt8], length: UInt64) throws(ShapeLogError)
        -> ShapeLogFileHandle
    {
        let file = try ShapeLogFileHandle(path: path, flags: O_RDWR | O_CREAT)
        let size = try file.size()
        if size < UInt64(ShapeLogFormat.fileHeaderSize) {
            guard length == UInt64(ShapeLogFormat.fileHeaderSize) else {
                throw .corrupt(path: path, detail: "missing data: committed length \(length), file \(size)")
            }
            try file.truncate(to: 0)
            try file.write(ShapeLogFormat.fileHeader(magic: magic), at: 0)
            try file.sync()
            return file
        }
        try ShapeLogFormat.checkFileHeader(file.read(at: 0, count: ShapeLogFormat.fileHeaderSize), magic: magic, path: path)
        guard size >= length else {
            throw .corrupt(path: path, detail: "missing data: committed length \(length), file \(size)")
        }
        if size > length {
            try file.truncate(to: length)
            try file.sync()
        }
        return file
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
        indexBuffer.shapeLogAppend(UInt64(bitPattern: offset.tx))
        indexBuffer.shapeLogAppend(offset.op)
        indexBuffer.shapeLogAppend(position)
        pending.byteLength += UInt64(ShapeLogFormat.frameHeaderSize + json.count)
        pending.openChunkBytes += UInt64(json.count)
        if pending.openChunkBytes >= chunkThresholdBytes {
            chunkBuffer.shapeLogAppend(pending.entryCount)
            pending.closedChunkCount += 1
            pending.openChunkBytes = 0
        }
        pending.entryCount += 1
        pending.latest = offset
        if logBuffer.count + indexBuffer.count >= ShapeLogFormat.writeBufferBytes { try writeBuffers(openFiles()) }
    }

    /// True when entries were appended since the last commit.
    public var hasUncommittedEntries: Bool { pending.entryCount != committedState.entryCount }

    /// Ends a transaction: makes the appended entries durable and visible, recording that the
    /// shape has applied everything up to `appliedThroughLSN`.
    ///
    /// Writes buffers, fsyncs the three files, then atomically replaces `changes.state`. When
    /// nothing was appended it only advances ``committedState``'s LSN in memory, with no I/O:
    /// replaying a transaction that produced nothing for this shape produces nothing again, so a
    /// stale on-disk LSN is harmless and the common "transaction didn't touch this shape" path
    /// costs nothing.
    public func commit(appliedThroughLSN lsn: LSN) throws(ShapeLogError) {
        pending.appliedThroughLSN = max(pending.appliedThroughLSN, lsn)
        guard hasUncommittedEntries else {
            committedState.appliedThroughLSN = pending.appliedThroughLSN
            return
        }
        let handles = try openFiles()
        try writeBuffers(handles)
        try handles.log.sync()
        try handles.index.sync()
        if pending.closedChunkCount != committedState.closedChunkCount { try handles.chunks.sync() }
        try ShapeLogIO.atomicWrite(pending.encoded(), to: files.changeState)
        committedState = pending
    }

    // MARK: Group commit steps (see ``commit(_:appliedThroughLSN:)``)

    var directory: String { files.directory }

    /// Records the LSN and writes buffers; true when there are entries to publish.
    func prepareGroupCommit(appliedThroughLSN lsn: LSN) throws(ShapeLogError) -> Bool {
        pending.appliedThroughLSN = max(pending.appliedThroughLSN, lsn)
        guard hasUncommittedEntries else {
            committedState.appliedThroughLSN = pending.appliedThroughLSN
            return false
        }
        try writeBuffers(openFiles())
        return true
    }

    func writeTemporaryState() throws(ShapeLogError) {
        let file = try ShapeLogFileHandle(path: files.changeState + ".tmp", flags: O_WRONLY | O_CREAT | O_TRUNC)
        try file.write(pending.encoded(), at: 0)
    }

    func renameTemporaryState() throws(ShapeLogError) {
        guard rename(files.changeState + ".tmp", files.changeState) == 0 else {
            throw .io(operation: "rename", path: files.changeState + ".tmp", errno: errno)
        }
    }

    /// The portable fallback of the group commit's flushes.
    func syncForGroupCommit(dataFiles: Bool) throws(ShapeLogError) {
        if dataFiles {
            let handles = try openFiles()
            try handles.log.sync()
            try handles.index.sync()
            try handles.chunks.sync()
        } else {
            if let temporary = try ShapeLogFileHandle.openForReading(files.changeState + ".tmp") { try temporary.sync() }
            try ShapeLogIO.syncDirectory(containing: files.changeState)
        }
    }

    func markGroupCommitted() {
        committedState = pending
    }

    /// Drops the entries appended since the last commit (a transaction router decided to abort).
    public func discardUncommitted() throws(ShapeLogError) {
        logBuffer.removeAll()
        indexBuffer.removeAll()
        chunkBuffer.removeAll()
        let header = UInt64(ShapeLogFormat.fileHeaderSize)
        let state = committedState
        let indexLength = header + state.entryCount * UInt64(ShapeLogFormat.indexEntrySize)
        let chunksLength = header + state.closedChunkCount * UInt64(ShapeLogFormat.chunkEntrySize)
        if logWritten > state.byteLength || indexWritten > indexLength || chunksWritten > chunksLength {
            let handles = try openFiles()
            try handles.log.truncate(to: state.byteLength)
            try handles.index.truncate(to: indexLength)
            try handles.chunks.truncate(to: chunksLength)
        }
        logWritten = state.byteLength
        indexWritten = indexLength
        chunksWritten = chunksLength
        pending = state
    }

    /// The three data files, open for one operation; closed when the value goes away.
    private struct OpenFiles {
        var log: ShapeLogFileHandle
        var index: ShapeLogFileHandle
        var chunks: ShapeLogFileHandle
    }

    private func openFiles() throws(ShapeLogError) -> OpenFiles {
        OpenFiles(
            log: try ShapeLogFileHandle(path: files.changeLog, flags: O_RDWR),
            index: try ShapeLogFileHandle(path: files.changeIndex, flags: O_RDWR),
            chunks: try ShapeLogFileHandle(path: files.changeChunks, flags: O_RDWR)
        )
    }

    private func writeBuffers(_ handles: OpenFiles) throws(ShapeLogError) {
        let (log, index, chunks) = (handles.log, handles.index, handles.chunks)
        if !logBuffer.isEmpty {
            try log.write(logBuffer, at: logWritten)
            logWritten += UInt64(logBuffer.count)
            logBuffer.removeAll()
        }
        if !indexBuffer.isEmpty {
            try index.write(indexBuffer, at: indexWritten)
            indexWritten += UInt64(indexBuffer.count)
            indexBuffer.removeAll()
        }
        if !chunkBuffer.isEmpty {
            try chunks.write(chunkBuffer, at: chunksWritten)
            chunksWritten += UInt64(chunkBuffer.count)
            chunkBuffer.removeAll()
        }
    }
}
