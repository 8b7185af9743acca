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
    ///
    /// - Important: all writers must live on the same file system (one storage directory).
    public static func commit(_ writers: [ChangeLogWriter], appliedThroughLSN lsn: LSN) throws(ShapeLogError) {
        var publishing: [ChangeLogWriter] = []
        for writer in writers {
            if try writer.prepareGroupCommit(appliedThroughLSN: lsn) { publishing.append(writer) }
        }
        guard let first = publishing.first else { return }
        if publishing.count == 1 {
            try first.syncDataFiles()
            Failpoint.hit("router.after-append")
            try first.writeStateSlot()
            try first.syncStateFile()
            first.markGroupCommitted()
            return
        }
        try syncFileSystem(publishing) { writer throws(ShapeLogError) in try writer.syncDataFiles() }
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
            let synced = try syncFileSystem(fileWriters) { writer throws(ShapeLogError) in try writer.syncStateFile() }
            if !synced { for table in tables.values { try table.sync() } }
        }
        for writer in publishing { writer.markGroupCommitted() }
    }

    /// Flushes everything written so far on the storage file system (through the first writer's
    /// already open log descriptor), or, without `syncfs`, runs `fallback` for every writer.
    /// Returns whether `syncfs` ran.
    @discardableResult
    private static func syncFileSystem(
        _ writers: [ChangeLogWriter],
        fallback: (ChangeLogWriter) throws(ShapeLogError) -> Void
    ) throws(ShapeLogError) -> Bool {
        let handle = try writers[0].fileSystemHandle()
        guard try ShapeLogIO.run({ () throws(FileError) in try handle.syncFileSystem() }) else {
            for writer in writers { try fallback(writer) }
            return false
        }
        for writer in writers { writer.fileSystemSynced() }
        return true
    }
}
