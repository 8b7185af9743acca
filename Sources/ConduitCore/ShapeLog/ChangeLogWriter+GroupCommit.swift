extension ChangeLogWriter {
    /// Commits one transaction across many shapes with two file-system flushes in all.
    ///
    /// ``commit(appliedThroughLSN:)`` flushes each file of its shape; a transaction that touches
    /// hundreds of shapes would spend seconds in those flushes. This writes every shape's data
    /// buffers, flushes the whole file system once (`syncfs`), writes every shape's next
    /// `changes.state` slot in place (``ChangeLogStateFile``), and flushes again, so the new
    /// states are durable when this returns and router may write its checkpoint. No file is
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
        try syncFileSystem(publishing) { writer throws(ShapeLogError) in try writer.syncStateFile() }
        for writer in publishing { writer.markGroupCommitted() }
    }

    /// Flushes everything written so far on the storage file system (through the first writer's
    /// already open state descriptor), or, without `syncfs`, runs `fallback` for every writer.
    private static func syncFileSystem(
        _ writers: [ChangeLogWriter],
        fallback: (ChangeLogWriter) throws(ShapeLogError) -> Void
    ) throws(ShapeLogError) {
        let handle = try writers[0].fileSystemHandle()
        guard try ShapeLogIO.run({ () throws(FileError) in try handle.syncFileSystem() }) else {
            for writer in writers { try fallback(writer) }
            return
        }
        for writer in writers { writer.fileSystemSynced() }
    }
}
