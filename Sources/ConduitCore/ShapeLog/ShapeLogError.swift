/// A shape-log file operation failed, or a file's contents are not what the format promises.
///
/// Descriptions name the operation and the path, never entry contents (they are user data).
public enum ShapeLogError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A system call failed: `operation` (`open`, `pread`, `fsync`, …) on `path` with `errno`.
    case io(operation: String, path: String, errno: Int32)
    /// The file is shorter than its committed state says, has a bad header or a bad checksum.
    case corrupt(path: String, detail: String)
    /// The caller broke the writer's contract (offsets not increasing, append after finish, …).
    case misuse(String)

    public var description: String {
        switch self {
        case .io(let operation, let path, let code):
            return "\(operation) \(path) failed: \(ShapeLogIO.errorText(code)) (errno \(code))"
        case .corrupt(let path, let detail):
            return "shape log file \(path) is corrupt: \(detail)"
        case .misuse(let detail):
            return "shape log misuse: \(detail)"
        }
    }
}
