#if canImport(Glibc)
    @preconcurrency import Glibc
#else
    import Darwin
#endif

/// A POSIX file operation failed.
///
/// Names the operation, the path and the errno with its text, e.g.
/// "fsync /data/spool/0000000001A2B3C4.spool failed: Input/output error (errno 5)".
public struct FileError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The system call or step, e.g. `open`, `pwrite`, `fsync`, `rename`.
    public var operation: String
    public var path: String
    /// The `errno` value, or 0 when the failure was detected without one (e.g. a short read).
    public var errno: Int32
    /// Extra detail for failures without an errno.
    public var detail: String?

    public init(operation: String, path: String, errno: Int32, detail: String? = nil) {
        self.operation = operation
        self.path = path
        self.errno = errno
        self.detail = detail
    }

    /// Captures the calling thread's current `errno`.
    static func current(_ operation: String, _ path: String) -> FileError {
        FileError(operation: operation, path: path, errno: currentErrno())
    }

    /// True when the file system is full (or the user's quota is): a condition that passes
    /// when space is freed, not a fault of the data.
    public var isOutOfSpace: Bool { errno == ENOSPC || errno == EDQUOT }

    public var description: String {
        var text = "\(operation) \(path) failed"
        if errno != 0 {
            text += ": \(String(cString: strerror(errno))) (errno \(errno))"
        }
        if let detail {
            text += ": \(detail)"
        }
        return text
    }
}

/// The calling thread's `errno` (read through a function because the struct has a member of that name).
@inline(__always)
func currentErrno() -> Int32 {
    errno
}
