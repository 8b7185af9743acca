#if canImport(Glibc)
    @preconcurrency import Glibc
#else
    import Darwin
#endif

/// Crash-safe whole-file replacement: a reader sees either the old contents or the new, never a mix.
///
/// Steps: write `<path>.tmp-<pid>-<random>` in the same directory (so the rename cannot cross file
/// systems), fsync it, `rename` it over `path`, then fsync the directory so the rename itself is
/// durable. Used for every small file that is replaced whole: checkpoints, `shape.json`,
/// `snapshot.state`.
public enum AtomicFile {
    /// Replaces the file at `path` with `bytes`.
    public static func write(path: String, bytes: [UInt8]) throws(FileError) {
        let temporary = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do throws(FileError) {
            let file = try PosixFile(path: temporary, flags: O_WRONLY | O_CREAT | O_EXCL | O_TRUNC, mode: 0o644)
            try file.write(bytes, at: 0)
            try file.sync()
            try FileSystem.rename(temporary, to: path)
        } catch {
            try? FileSystem.removeFile(temporary)
            throw error
        }
        try FileSystem.syncDirectory(FileSystem.parentDirectory(of: path))
    }

    /// The whole file at `path`, or nil when it does not exist.
    public static func read(path: String) throws(FileError) -> [UInt8]? {
        try PosixFile.openIfExists(path)?.readAll()
    }
}
