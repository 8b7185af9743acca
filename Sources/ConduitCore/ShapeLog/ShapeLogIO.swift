#if canImport(Glibc)
    @preconcurrency import Glibc
#else
    import Darwin
#endif

/// The shape log's view of the storage layer: ``PosixFile``, ``AtomicFile`` and ``FileSystem``
/// calls with their failures reported as ``ShapeLogError``. No I/O is implemented here.
enum ShapeLogIO {
    /// Runs storage-layer calls, reporting a failure as ``ShapeLogError/io(_:)``.
    @inline(__always)
    static func run<T>(_ body: () throws(FileError) -> T) throws(ShapeLogError) -> T {
        try FileError.mapped(to: ShapeLogError.io, body)
    }

    static func open(_ path: String, flags: Int32) throws(ShapeLogError) -> PosixFile {
        try run { () throws(FileError) in try PosixFile(path: path, flags: flags) }
    }

    static func openIfExists(_ path: String) throws(ShapeLogError) -> PosixFile? {
        try run { () throws(FileError) in try PosixFile.openIfExists(path) }
    }

    /// Reads exactly `count` bytes at `offset` of a range the committed state says is written; a
    /// shorter file is corruption.
    static func committedBytes(_ file: PosixFile, at offset: UInt64, count: Int) throws(ShapeLogError) -> [UInt8] {
        guard let bytes = try run({ () throws(FileError) in try file.readExactly(count: count, at: offset) }) else {
            throw .corrupt(path: file.path, detail: "file ends before byte \(offset + UInt64(count))")
        }
        return bytes
    }

    /// Fills `buffer` from `offset` of a range the committed state says is written; a shorter
    /// file is corruption.
    static func readCommitted(_ file: PosixFile, into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(ShapeLogError) {
        let read = try run { () throws(FileError) in try file.read(into: buffer, at: offset) }
        guard read == buffer.count else {
            throw .corrupt(path: file.path, detail: "file ends before byte \(offset + UInt64(buffer.count))")
        }
    }

    /// The whole small file at `path`, or nil when it does not exist.
    static func readWholeFile(_ path: String) throws(ShapeLogError) -> [UInt8]? {
        try run { () throws(FileError) in try AtomicFile.read(path: path) }
    }

    /// Replaces `path` with `bytes` atomically (``AtomicFile``).
    static func atomicWrite(_ bytes: [UInt8], to path: String, durable: Bool = true) throws(ShapeLogError) {
        try run { () throws(FileError) in try AtomicFile.write(path: path, bytes: bytes, durable: durable) }
    }

    /// fsyncs the directory that holds `path`, making creations, renames and unlinks durable.
    static func syncDirectory(containing path: String) throws(ShapeLogError) {
        try run { () throws(FileError) in try FileSystem.syncDirectory(FileSystem.parentDirectory(of: path)) }
    }

    /// Removes `path` if it exists.
    /// Removes `path`; false when there was nothing to remove.
    @discardableResult
    static func remove(_ path: String) throws(ShapeLogError) -> Bool {
        try run { () throws(FileError) in try FileSystem.removeFile(path) }
    }
}
