/// A shape-log file operation failed, or a file's contents are not what the format promises.
///
/// Descriptions name the operation and the path, never entry contents (they are user data).
public enum ShapeLogError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A file operation failed (``FileError`` names the call, the path and the errno).
    case io(FileError)
    /// The file is shorter than its committed state says, has a bad header or a bad checksum.
    case corrupt(path: String, detail: String)
    /// The caller broke the writer's contract (offsets not increasing, append after finish, …).
    case misuse(String)

    public var description: String {
        switch self {
        case .io(let error):
            return error.description
        case .corrupt(let path, let detail):
            return "shape log file \(path) is corrupt: \(detail)"
        case .misuse(let detail):
            return "shape log misuse: \(detail)"
        }
    }
}
