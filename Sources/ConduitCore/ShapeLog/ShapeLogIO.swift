#if canImport(Glibc)
@preconcurrency import Glibc
#else
import Darwin
#endif

/// An open file descriptor; closed on deinit, that is when the last reference goes away.
///
/// All I/O is positional (`pread`/`pwrite`), so the handle has no shared file position and a
/// reader in another process never observes a seek. It is `Sendable` (two immutable fields) so
/// ``ShapeLogDescriptorCache`` can hand it to any thread: the cache dropping its reference never
/// closes a descriptor that an operation still holds, which is what keeps eviction safe.
final class ShapeLogFileHandle: Sendable {
    let descriptor: Int32
    let path: String

    /// Opens `path`. - Throws: ``ShapeLogError/io(operation:path:errno:)``.
    init(path: String, flags: Int32, mode: mode_t = 0o644) throws(ShapeLogError) {
        let descriptor = open(path, flags | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw .io(operation: "open", path: path, errno: errno) }
        self.descriptor = descriptor
        self.path = path
    }

    /// Opens `path` read-only, or returns nil when it does not exist.
    static func openForReading(_ path: String) throws(ShapeLogError) -> ShapeLogFileHandle? {
        do {
            return try ShapeLogFileHandle(path: path, flags: O_RDONLY)
        } catch {
            if case .io(_, _, ENOENT) = error { return nil }
            throw error
        }
    }

    deinit { close(descriptor) }

    /// Reads exactly `count` bytes at `offset`; a short read (the file is shorter) is corruption.
    func read(at offset: UInt64, count: Int) throws(ShapeLogError) -> [UInt8] {
        guard count > 0 else { return [] }
        var failure: ShapeLogError?
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var done = 0
            while done < count {
                let result = pread(descriptor, buffer.baseAddress! + done, count - done, off_t(offset) + off_t(done))
                if result < 0 {
                    if errno == EINTR { continue }
                    failure = .io(operation: "pread", path: path, errno: errno)
                    break
                }
                if result == 0 {
                    failure = .corrupt(path: path, detail: "file ends before byte \(offset + UInt64(count))")
                    break
                }
                done += result
            }
            initialized = failure == nil ? count : 0
        }
        if let failure { throw failure }
        return bytes
    }

    /// Writes all of `bytes` at `offset`.
    func write(_ bytes: [UInt8], at offset: UInt64) throws(ShapeLogError) {
        var failure: ShapeLogError?
        bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let result = pwrite(descriptor, raw.baseAddress! + done, raw.count - done, off_t(offset) + off_t(done))
                if result < 0 {
                    if errno == EINTR { continue }
                    failure = .io(operation: "pwrite", path: path, errno: errno)
                    return
                }
                done += result
            }
        }
        if let failure { throw failure }
    }

    func sync() throws(ShapeLogError) {
        guard fsync(descriptor) == 0 else { throw .io(operation: "fsync", path: path, errno: errno) }
    }

    /// Flushes the file's data and the metadata needed to read it back (its size), not its
    /// timestamps: `fdatasync` where it exists, `fsync` elsewhere.
    func dataSync() throws(ShapeLogError) {
        #if os(Linux)
        guard fdatasync(descriptor) == 0 else { throw .io(operation: "fdatasync", path: path, errno: errno) }
        #else
        try sync()
        #endif
    }

    func truncate(to length: UInt64) throws(ShapeLogError) {
        guard ftruncate(descriptor, off_t(length)) == 0 else {
            throw .io(operation: "ftruncate", path: path, errno: errno)
        }
    }

    func size() throws(ShapeLogError) -> UInt64 {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw .io(operation: "fstat", path: path, errno: errno) }
        return UInt64(info.st_size)
    }
}

/// Whole-file helpers: atomic replacement and small reads.
enum ShapeLogIO {
    /// Replaces `path` with `bytes` so that a reader sees either the old or the new file, never a
    /// mix, and the new contents survive a crash once this returns.
    ///
    /// Writes `<path>.tmp`, fsyncs it, renames it over `path`, then fsyncs the directory so the
    /// rename itself is durable. Each state file has a single writer, so the fixed temporary name
    /// cannot collide.
    static func atomicWrite(_ bytes: [UInt8], to path: String) throws(ShapeLogError) {
        let temporary = path + ".tmp"
        do {
            let file = try ShapeLogFileHandle(path: temporary, flags: O_WRONLY | O_CREAT | O_TRUNC)
            try file.write(bytes, at: 0)
            try file.sync()
        }
        guard rename(temporary, path) == 0 else { throw .io(operation: "rename", path: temporary, errno: errno) }
        try syncDirectory(containing: path)
    }

    /// Reads a whole small file, or returns nil when it does not exist.
    static func readWholeFile(_ path: String) throws(ShapeLogError) -> [UInt8]? {
        guard let file = try ShapeLogFileHandle.openForReading(path) else { return nil }
        return try file.read(at: 0, count: Int(try file.size()))
    }

    /// fsyncs the directory that holds `path`, making creations, renames and unlinks durable.
    static func syncDirectory(containing path: String) throws(ShapeLogError) {
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let file = try ShapeLogFileHandle(path: directory.isEmpty ? "/" : directory, flags: O_RDONLY)
        try file.sync()
    }

    /// Removes `path` if it exists.
    static func remove(_ path: String) throws(ShapeLogError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw .io(operation: "unlink", path: path, errno: errno) }
    }

    static func errorText(_ code: Int32) -> String { String(cString: strerror(code)) }
}
