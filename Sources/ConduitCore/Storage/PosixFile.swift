#if canImport(Glibc)
@preconcurrency import Glibc
#else
import Darwin
#endif

/// An open file descriptor with thin, throwing wrappers around the POSIX calls the storage layer
/// needs (`pread`, `pwrite`, `fsync`, `ftruncate`, `fstat`).
///
/// Every failure throws ``FileError`` naming the path. Short reads and writes are retried until
/// complete; `EINTR` is retried. The descriptor is closed in `deinit` (or earlier by ``close()``).
///
/// - Important: not `Sendable`: one owner at a time, like the spool writer or a reader cursor.
public final class PosixFile {
    /// The path the file was opened with, for error messages.
    public let path: String
    private var descriptor: Int32

    /// Opens `path` with `open(2)` flags (`O_CLOEXEC` is always added) and creation `mode`.
    public init(path: String, flags: Int32, mode: mode_t = 0o644) throws(FileError) {
        let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
        guard fd >= 0 else { throw FileError.current("open", path) }
        self.path = path
        self.descriptor = fd
    }

    /// Opens an existing file for reading.
    public static func openForReading(_ path: String) throws(FileError) -> PosixFile {
        try PosixFile(path: path, flags: O_RDONLY)
    }

    deinit {
        if descriptor >= 0 {
            _ = Glibc.close(descriptor)
        }
    }

    /// Closes the descriptor now, reporting errors (which `deinit` cannot).
    public func close() throws(FileError) {
        guard descriptor >= 0 else { return }
        let fd = descriptor
        descriptor = -1
        guard Glibc.close(fd) == 0 else { throw FileError.current("close", path) }
    }

    /// The file's current size in bytes (`fstat`).
    public func size() throws(FileError) -> UInt64 {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw FileError.current("fstat", path) }
        return UInt64(info.st_size)
    }

    /// Writes all of `bytes` at `offset` (`pwrite`, retried until complete).
    public func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(FileError) {
        var done = 0
        while done < bytes.count {
            let result = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            if result < 0 {
                if currentErrno() == EINTR { continue }
                throw FileError.current("pwrite at offset \(offset + UInt64(done)) of", path)
            }
            done += result
        }
    }

    /// Writes all of an array at `offset`.
    public func write(_ bytes: [UInt8], at offset: UInt64) throws(FileError) {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(FileError) in try write(raw, at: offset) }
        }
        try result.get()
    }

    /// Reads up to `buffer.count` bytes at `offset`; returns fewer only at end of file.
    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(FileError) -> Int {
        var done = 0
        while done < buffer.count {
            let result = pread(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done))
            if result < 0 {
                if currentErrno() == EINTR { continue }
                throw FileError.current("pread at offset \(offset + UInt64(done)) of", path)
            }
            if result == 0 { break }
            done += result
        }
        return done
    }

    /// Reads up to `count` bytes at `offset` into a new array, shorter only at end of file.
    public func read(count: Int, at offset: UInt64) throws(FileError) -> [UInt8] {
        var failure: FileError?
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            do throws(FileError) {
                initialized = try read(into: UnsafeMutableRawBufferPointer(buffer), at: offset)
            } catch {
                failure = error
                initialized = 0
            }
        }
        if let failure { throw failure }
        return bytes
    }

    /// Flushes data and metadata to stable storage (`fsync`).
    public func sync() throws(FileError) {
        guard fsync(descriptor) == 0 else { throw FileError.current("fsync", path) }
    }

    /// Flushes data, and the metadata needed to read it back such as the size (`fdatasync`).
    public func syncData() throws(FileError) {
        guard fdatasync(descriptor) == 0 else { throw FileError.current("fdatasync", path) }
    }

    /// Cuts the file to `length` bytes (`ftruncate`).
    public func truncate(to length: UInt64) throws(FileError) {
        guard ftruncate(descriptor, off_t(length)) == 0 else { throw FileError.current("ftruncate to \(length) bytes of", path) }
    }
}
