#if canImport(Glibc)
    @preconcurrency import Glibc
#else
    import Darwin
#endif

/// Crash-safe whole-file replacement: a reader sees either the old contents or the new, never a mix.
///
/// Steps: write `<path>.tmp-<pid>-<random>` in the same directory (so the rename cannot cross file
/// systems), fsync it, `rename` it over `path`, then fsync the directory so the rename itself is
/// durable. Used for every small file that is replaced whole: checkpoints, an older shape's `shape.json`,
/// `snapshot.state`.
///
/// `durable: false` keeps the atomic rename but skips both fsyncs, for a new shape's files:
/// router's next group commit (`syncfs`) makes them durable, and until then an operating-system
/// crash can only leave such a file missing or empty (refused by its checksum), never mixed.
public enum AtomicFile {
    /// Replaces the file at `path` with `bytes`; made durable before returning unless `durable`
    /// is false.
    public static func write(path: String, bytes: [UInt8], durable: Bool = true) throws(FileError) {
        let temporary = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do throws(FileError) {
            let file = try PosixFile(path: temporary, flags: O_WRONLY | O_CREAT | O_EXCL | O_TRUNC, mode: 0o644)
            try file.write(bytes, at: 0)
            if durable { try file.sync() }
            try FileSystem.rename(temporary, to: path)
        } catch {
            try? FileSystem.removeFile(temporary)
            throw error
        }
        if durable { try FileSystem.syncDirectory(FileSystem.parentDirectory(of: path)) }
    }

    /// The whole file at `path`, or nil when it does not exist.
    public static func read(path: String) throws(FileError) -> [UInt8]? {
        try PosixFile.openIfExists(path)?.readAll()
    }
}
