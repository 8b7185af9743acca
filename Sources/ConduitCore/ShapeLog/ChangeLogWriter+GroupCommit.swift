extension ChangeLogWriter {
    /// Commits one transaction across many shapes with two file-system flushes in all.
    ///
    /// ``commit(appliedThroughLSN:)`` flushes each file of its shape; a transaction that touches
    /// hundreds of shapes would spend seconds in those flushes. This writes every shape's data
    /// buffers, flushes the whole file system once (`syncfs`), writes every shape's next state
    /// slot (staged in the shared ``ShapeStateTable`` and written in a few runs, or in place in
    /// the shape's `changes.state`), and flushes again (the table alone with `fdatasync` when no
    /// shape has its own state file), so the new states are durable when this returns and router
    /// may write its checkpoint. No file is
    /// created, renamed or (for cached descriptors) opened.
    ///
    /// The ordering (data durable before any state slot names it; a slot written only over the
    /// older of the two) is the single commit's, so a crash at any point leaves every shape at
    /// its old or its new state, and a reader never sees a slot whose data is not written.
    ///
    /// Writers without new entries only advance their LSN in memory, as in the single commit.
    /// On platforms without `syncfs` each file is flushed with `fdatasync` (or `fsync`) instead.
    /// ``ChangeLogGroupCommit`` holds the same steps apart, so the first flush can run on
    /// another thread.
    ///
    /// - Important: all writers must live on the same file system (one storage directory).
    public static func commit(_ writers: [ChangeLogWriter], appliedThroughLSN lsn: LSN) throws(ShapeLogError) {
        try ChangeLogGroupCommit(writers, appliedThroughLSN: lsn).publishFlushingHere()
    }

    /// Flushes everything written so far on the storage file system through `writer`'s already
    /// open log descriptor (`syncfs`); false on platforms without it.
    static func syncFileSystem(through writer: ChangeLogWriter) throws(ShapeLogError) -> Bool {
        let handle = try writer.fileSystemHandle()
        return try ShapeLogIO.run { () throws(FileError) in try handle.syncFileSystem() }
    }
}

/// A group commit (``ChangeLogWriter/commit(_:appliedThroughLSN:)``) held apart at its first
/// file-system flush, so that flush can run on another thread while the writers' thread goes
/// on appending (router's loop keeps routing while `syncfs` writes back thousands of files):
///
/// 1. ``init(_:appliedThroughLSN:journal:)`` writes every writer's appended bytes and seals the
///    state each will publish;
/// 2. the caller makes those bytes durable: flushes the file system (`syncfs`, from any thread:
///    ``FileSystemFlusher``), or appends ``journalRecord`` to the ``CommitJournal``;
/// 3. ``publish(fileSystemSynced:keeping:)`` (or ``publishJournaled(keeping:)``) writes and
///    flushes the sealed state slots and makes them the writers' committed states.
///
/// Entries appended between steps 1 and 3 follow the sealed bytes and belong to the next commit;
/// a writer takes part in one group commit at a time. Nothing is visible to readers before step
/// 3, so the crash guarantees are the single commit's.
public struct ChangeLogGroupCommit {
    /// The writers with entries to publish.
    public let writers: [ChangeLogWriter]
    /// Every byte step 1 wrote, for the ``CommitJournal`` at `journal`'s shapes folder; nil when
    /// none was asked for, or when some writer's bytes could not all be put in it (bytes written
    /// through before the commit, a file created without fsync): then only a flush of the file
    /// system makes the commit durable.
    public var journalRecord: CommitJournal.Record?

    /// Step 1: writes each writer's buffers and seals its state; writers without new entries only
    /// advance their LSN in memory and are left out. With a `journal`, the bytes written are also
    /// gathered into ``journalRecord``.
    public init(_ writers: [ChangeLogWriter], appliedThroughLSN lsn: LSN, journal: CommitJournal? = nil) throws(ShapeLogError) {
        var publishing: [ChangeLogWriter] = []
        var record = try journal?.beginRecord()
        for writer in writers {
            if try writer.prepareGroupCommit(appliedThroughLSN: lsn, journal: &record) { publishing.append(writer) }
        }
        self.writers = publishing
        self.journalRecord = record
    }

    /// Steps 2 and 3 on this thread: one writer flushes its own files, several the file system.
    public func publishFlushingHere() throws(ShapeLogError) {
        guard let first = writers.first else { return }
        if writers.count == 1 {
            try first.syncDataFiles()
            Failpoint.hit("router.after-append")
            try first.writeStateSlot()
            try first.syncStateFile()
            first.markGroupCommitted()
            return
        }
        try publish(fileSystemSynced: try ChangeLogWriter.syncFileSystem(through: first))
    }

    /// Step 3 after ``journalRecord`` was appended to the journal (and flushed): the data files
    /// are not flushed here; a later checkpoint of the journal does it.
    public func publishJournaled(keeping keep: (ChangeLogWriter) -> Bool = { _ in true }) throws(ShapeLogError) {
        try publish(writers.filter(keep)) { _ throws(ShapeLogError) in }
    }

    /// Step 3, once everything step 1 wrote is durable: `fileSystemSynced` when by `syncfs` on
    /// the writers' file system; false flushes each writer's data files here first (platforms
    /// without `syncfs`). Writers `keeping` refuses (a shape removed meanwhile, whose state
    /// record may already be someone else's) publish nothing.
    public func publish(
        fileSystemSynced: Bool, keeping keep: (ChangeLogWriter) -> Bool = { _ in true }
    ) throws(ShapeLogError) {
        try publish(writers.filter(keep)) { writers throws(ShapeLogError) in
            if fileSystemSynced {
                for writer in writers { writer.fileSystemSynced() }
            } else {
                for writer in writers { try writer.syncDataFiles() }
            }
        }
    }

    /// Makes the data of `publishing` durable as `dataDurable` says, then writes and flushes their
    /// state slots and marks them committed.
    private func publish(
        _ publishing: [ChangeLogWriter], dataDurable: ([ChangeLogWriter]) throws(ShapeLogError) -> Void
    ) throws(ShapeLogError) {
        guard !publishing.isEmpty else { return }
        try dataDurable(publishing)
        Failpoint.hit("router.after-append")
        for writer in publishing { try writer.writeStateSlot() }
        // Slots staged in shared tables go out in a few large writes, flushed with the table
        // alone when no writer has a `changes.state` of its own.
        var tables: [ObjectIdentifier: ShapeStateTable] = [:]
        for writer in publishing { if let table = writer.stateTable { tables[ObjectIdentifier(table)] = table } }
        for table in tables.values { try table.writeStaged() }
        let fileWriters = publishing.filter { $0.stateTable == nil }
        if fileWriters.isEmpty {
            for table in tables.values { try table.sync() }
        } else {
            if try ChangeLogWriter.syncFileSystem(through: fileWriters[0]) {
                for writer in fileWriters { writer.fileSystemSynced() }
            } else {
                for writer in fileWriters { try writer.syncStateFile() }
                for table in tables.values { try table.sync() }
            }
        }
        for writer in publishing { writer.markGroupCommitted() }
    }
}
