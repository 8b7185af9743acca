#if canImport(Glibc)
    @preconcurrency import Glibc
#else
    import Darwin
#endif

/// An open file descriptor with thin, throwing wrappers around the POSIX calls the storage layer
/// needs (`pread`, `pwrite`, `fsync`, `fdatasync`, `syncfs`, `ftruncate`, `fstat`): the one file
/// handle of every process.
///
/// Every failure throws ``FileError`` naming the path. Short reads and writes are retried until
/// complete; `EINTR` is retried. All I/O is positional, so the handle has no shared file position.
///
/// - Important: `Sendable` because both stored properties are immutable and positional I/O needs
///   no coordination; the descriptor is closed in `deinit`, that is when the last reference goes
///   away, so a cache dropping its reference never closes a descriptor an operation still holds
///   (``ShapeLogDescriptorCache`` relies on this).
public final class PosixFile: Sendable {
    /// The path the file was opened with, for error messages.
    public let path: String
    /// The open descriptor, valid for the object's lifetime.
    public let descriptor: Int32

    /// Opens `path` with `open(2)` flags (`O_CLOEXEC` is always added, and `O_NOATIME` where the
    /// file's owner may) and creation `mode`.
    ///
    /// Conduit never reads access times. Without `O_NOATIME` the first read of a file after it
    /// changed (`relatime`) dirties its inode: a router restart reads seven files per shape, and
    /// with 100,000 shapes whose files had all changed since they were last read it took 8.3 s
    /// instead of 3.8 s.
    public init(path: String, flags: Int32, mode: mode_t = 0o644) throws(FileError) {
        var fd = Glibc.open(path, flags | O_CLOEXEC | Self.noAccessTime, mode)
        if fd < 0, currentErrno() == EPERM, Self.noAccessTime != 0 {
            // Only the file's owner (or CAP_FOWNER) may ask for O_NOATIME.
            fd = Glibc.open(path, flags | O_CLOEXEC, mode)
        }
        guard fd >= 0 else { throw FileError.current("open", path) }
        self.path = path
        self.descriptor = fd
    }

    /// `O_NOATIME` (Linux's `fcntl.h`: 0o1000000 on x86-64 and arm64), which Glibc's Swift
    /// module does not export.
    #if os(Linux)
        static let noAccessTime: Int32 = 0o1000000
    #else
        static let noAccessTime: Int32 = 0
    #endif

    /// Opens an existing file for reading.
    public static func openForReading(_ path: String) throws(FileError) -> PosixFile {
        try PosixFile(path: path, flags: O_RDONLY)
    }

    /// Opens `path` read-only, or returns nil when it does not exist.
    public static func openIfExists(_ path: String) throws(FileError) -> PosixFile? {
        do {
            return try PosixFile(path: path, flags: O_RDONLY)
        } catch  where error.errno == ENOENT {
            return nil
        }
    }

    deinit {
        _ = Glibc.close(descriptor)
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

    /// Writes `bytes` and then `zeros` zero bytes at `offset`, in one `pwritev` (retried until
    /// complete), without the zeros ever being copied into the caller's buffer: a shape log's
    /// writer pads a file past its end this way, so its buffer keeps the small allocation it can
    /// reuse instead of growing by the padding on every file extension.
    /// With no zeros it is a plain ``write(_:at:)``.
    public func write(_ bytes: UnsafeRawBufferPointer, followedByZeros zeros: Int, at offset: UInt64) throws(FileError) {
        guard zeros > 0 else { return try write(bytes, at: offset) }
        let zeroBlock = Self.zeroBlock
        let total = bytes.count + zeros
        var done = 0
        while done < total {
            let result = withUnsafeTemporaryAllocation(of: iovec.self, capacity: Self.maxVectors) { vectors -> Int in
                var count = 0
                if done < bytes.count {
                    vectors[0] = iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress! + done), iov_len: bytes.count - done)
                    count = 1
                }
                var zerosLeft = total - max(done, bytes.count)
                while zerosLeft > 0 && count < Self.maxVectors {
                    let length = min(zerosLeft, zeroBlock.count)
                    vectors[count] = iovec(iov_base: UnsafeMutableRawPointer(mutating: zeroBlock.baseAddress!), iov_len: length)
                    count += 1
                    zerosLeft -= length
                }
                return pwritev(descriptor, vectors.baseAddress!, Int32(count), off_t(offset) + off_t(done))
            }
            if result < 0 {
                if currentErrno() == EINTR { continue }
                throw FileError.current("pwritev at offset \(offset + UInt64(done)) of", path)
            }
            done += result
        }
    }

    /// Writes all of an array at `offset`, then `zeros` zero bytes (``write(_:followedByZeros:at:)``).
    public func write(_ bytes: [UInt8], followedByZeros zeros: Int = 0, at offset: UInt64) throws(FileError) {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(FileError) in try write(raw, followedByZeros: zeros, at: offset) }
        }
        try result.get()
    }

    /// Zeros for ``write(_:followedByZeros:at:)``: allocated once, never written, never freed.
    private nonisolated(unsafe) static let zeroBlock = UnsafeRawBufferPointer(
        UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 4096).initializeMemory(as: UInt8.self, repeating: 0))
    /// iovecs per `pwritev`: the bytes, then up to 1 MiB of zeros (a longer run takes more calls).
    private static let maxVectors = 17

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
        guard count > 0 else { return [] }
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

    /// Reads exactly `count` bytes at `offset`; nil when the file ends first (the caller decides
    /// whether that is corruption or a file still being written).
    public func readExactly(count: Int, at offset: UInt64) throws(FileError) -> [UInt8]? {
        let bytes = try read(count: count, at: offset)
        return bytes.count == count ? bytes : nil
    }

    /// Reads the whole file.
    public func readAll() throws(FileError) -> [UInt8] {
        try read(count: Int(try size()), at: 0)
    }

    /// Flushes data and metadata to stable storage (`fsync`).
    public func sync() throws(FileError) {
        guard fsync(descriptor) == 0 else { throw FileError.current("fsync", path) }
    }

    /// Flushes data, and the metadata needed to read it back such as the size (`fdatasync` where
    /// it exists, `fsync` elsewhere), not timestamps.
    public func syncData() throws(FileError) {
        #if os(Linux)
            guard fdatasync(descriptor) == 0 else { throw FileError.current("fdatasync", path) }
        #else
            try sync()
        #endif
    }

    /// Flushes everything written on this file's file system (Linux `syncfs(2)`); false where the
    /// platform has no such call, and the caller must flush file by file.
    public func syncFileSystem() throws(FileError) -> Bool {
        guard let syncfs = SyncFileSystem.function else { return false }
        guard syncfs(descriptor) == 0 else { throw FileError.current("syncfs", path) }
        return true
    }

    /// Cuts the file to `length` bytes (`ftruncate`).
    public func truncate(to length: UInt64) throws(FileError) {
        guard ftruncate(descriptor, off_t(length)) == 0 else { throw FileError.current("ftruncate to \(length) bytes of", path) }
    }
}

extension PosixFile {
    /// Whether ``syncFileSystem()`` flushes a whole file system here (Linux `syncfs`).
    public static var syncsFileSystems: Bool { SyncFileSystem.function != nil }
}

/// Linux's `syncfs(2)`, looked up at run time: Glibc's module map hides it (it is a GNU
/// extension), and other platforms lack it (nil there).
private enum SyncFileSystem {
    typealias Function = @convention(c) (Int32) -> Int32

    static let function = LibcFunction.lookup("syncfs", as: Function.self)
}
