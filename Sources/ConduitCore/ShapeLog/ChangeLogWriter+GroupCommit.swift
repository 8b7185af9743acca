#if canImport(Glibc)
@preconcurrency import Glibc
#else
import Darwin
#endif

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
            try first.writeStateSlot()
            try first.syncStateFile()
            first.markGroupCommitted()
            return
        }
        try syncFileSystem(publishing) { writer throws(ShapeLogError) in try writer.syncDataFiles() }
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
        guard let syncfs = SyncFileSystem.function else {
            for writer in writers { try fallback(writer) }
            return
        }
        let handle = try writers[0].fileSystemHandle()
        guard syncfs(handle.descriptor) == 0 else { throw .io(operation: "syncfs", path: handle.path, errno: errno) }
    }
}

/// Linux's `syncfs(2)`, looked up at run time: Glibc's module map hides it (it is a GNU
/// extension), and other platforms lack it (nil there, and the caller flushes file by file).
private enum SyncFileSystem {
    typealias Function = @convention(c) (Int32) -> Int32

    static let function: Function? = {
        #if os(Linux)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "syncfs") else { return nil }
        return unsafeBitCast(symbol, to: Function.self)
        #else
        return nil
        #endif
    }()
}
