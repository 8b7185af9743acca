#if canImport(Glibc)
@preconcurrency import Glibc
#else
import Darwin
#endif

extension ChangeLogWriter {
    /// Commits one transaction across many shapes with a constant number of disk flushes.
    ///
    /// ``commit(appliedThroughLSN:)`` costs about five fsyncs per shape; a transaction that
    /// touches hundreds of shapes would spend seconds in them. This writes every shape's buffers,
    /// then flushes the whole file system once (`syncfs`), writes every new `changes.state` under
    /// its temporary name, flushes again, renames them all into place, and flushes a last time so
    /// the renames are durable. The ordering (data durable before any state names it) is the same
    /// as in the single-shape commit, so a crash leaves every shape at its old or its new state.
    ///
    /// Writers without new entries only advance their LSN in memory, as in the single commit.
    /// On platforms without `syncfs` every file is fsynced instead.
    ///
    /// - Important: all writers must live on the same file system (one storage directory).
    public static func commit(_ writers: [ChangeLogWriter], appliedThroughLSN lsn: LSN) throws(ShapeLogError) {
        var publishing: [ChangeLogWriter] = []
        for writer in writers {
            if try writer.prepareGroupCommit(appliedThroughLSN: lsn) { publishing.append(writer) }
        }
        guard let first = publishing.first else { return }
        if publishing.count == 1 {
            try first.commit(appliedThroughLSN: lsn)
            return
        }
        try syncFileSystem(of: first, or: publishing, dataFiles: true)
        for writer in publishing { try writer.writeTemporaryState() }
        try syncFileSystem(of: first, or: publishing, dataFiles: false)
        for writer in publishing { try writer.renameTemporaryState() }
        try syncFileSystem(of: first, or: publishing, dataFiles: false)
        for writer in publishing { writer.markGroupCommitted() }
    }

    /// Flushes everything written so far on the storage file system.
    private static func syncFileSystem(
        of writer: ChangeLogWriter,
        or writers: [ChangeLogWriter],
        dataFiles: Bool
    ) throws(ShapeLogError) {
        if let syncfs = SyncFileSystem.function {
            let directory = try ShapeLogFileHandle(path: writer.directory, flags: O_RDONLY)
            guard syncfs(directory.descriptor) == 0 else {
                throw .io(operation: "syncfs", path: writer.directory, errno: errno)
            }
            return
        }
        for each in writers { try each.syncForGroupCommit(dataFiles: dataFiles) }
    }
}

/// Linux's `syncfs(2)`, looked up at run time: Glibc's module map hides it (it is a GNU
/// extension), and other platforms lack it (nil there, and the caller fsyncs file by file).
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
