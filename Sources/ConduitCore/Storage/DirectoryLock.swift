#if canImport(Glibc)
    @preconcurrency import Glibc
#else
    import Darwin
#endif

/// An exclusive, advisory lock that keeps a second process of one kind off a storage directory
/// (`flock(2)` on `<directory>/<name>`, e.g. `ingest.lock`).
///
/// The lock belongs to the open file: it is released when the object goes away (`close`), and
/// by the kernel when the process dies in any way, SIGKILL included, so a crash never leaves a
/// stale lock behind. The holder's pid is written into the file, for the refusal message only.
///
/// ```swift
/// let lock = try DirectoryLock.acquire(directory: storage.root, name: "ingest.lock")
/// defer { withExtendedLifetime(lock) {} }
/// ```
/// - Important: hold the returned object for as long as the directory is in use.
public final class DirectoryLock: Sendable {
    /// The lock file.
    public let path: String
    private let file: PosixFile

    private init(path: String, file: PosixFile) {
        self.path = path
        self.file = file
    }

    /// Takes the lock without waiting.
    ///
    /// - Throws: ``DirectoryLockError/held(path:holder:)`` when another process (or another open
    ///   of the same file) holds it; ``DirectoryLockError/file(_:)`` when the file cannot be used.
    public static func acquire(directory: String, name: String) throws(DirectoryLockError) -> DirectoryLock {
        let path = directory + "/" + name
        let file: PosixFile
        do {
            try FileSystem.createDirectory(directory)
            file = try PosixFile(path: path, flags: O_RDWR | O_CREAT, mode: 0o644)
        } catch {
            throw .file(error)
        }
        guard flock(file.descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            guard code == EWOULDBLOCK else { throw .file(FileError(operation: "flock", path: path, errno: code)) }
            // Only the digits of the pid: the holder may be rewriting the file right now.
            let holder = (try? file.read(count: 32, at: 0)).map { String(decoding: $0.prefix { $0 >= 0x30 && $0 <= 0x39 }, as: UTF8.self) }
            throw .held(path: path, holder: holder?.isEmpty == false ? holder : nil)
        }
        do {
            try file.truncate(to: 0)
            try file.write(Array("\(getpid())\n".utf8), at: 0)
        } catch {
            throw .file(error)
        }
        return DirectoryLock(path: path, file: file)
    }
}

/// Why ``DirectoryLock/acquire(directory:name:)`` failed.
public enum DirectoryLockError: Error, Sendable, CustomStringConvertible {
    /// Another process holds the lock; `holder` is the pid it wrote, if readable.
    case held(path: String, holder: String?)
    case file(FileError)

    public var description: String {
        switch self {
        case .held(let path, let holder):
            // `router.lock` in /var/lib/conduit: "another router is already running on …".
            let file = path.split(separator: "/").last.map(String.init) ?? path
            let owner = file.hasSuffix(".lock") ? String(file.dropLast(5)) : "process"
            let directory = path.hasSuffix("/" + file) ? String(path.dropLast(file.count + 1)) : path
            return
                "another \(owner) is already running on storage directory \(directory) (\(path) is held\(holder.map { " by pid \($0)" } ?? ""))"
        case .file(let error):
            return "cannot lock: \(error)"
        }
    }
}
