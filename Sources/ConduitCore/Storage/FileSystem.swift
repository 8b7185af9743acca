#if canImport(Glibc)
    @preconcurrency import Glibc
#else
    import Darwin
#endif

/// Directory-level POSIX helpers: create, list, fsync a directory, rename, unlink.
///
/// All throw ``FileError`` naming the path. Used instead of `FileManager` so the storage layer's
/// durability steps (notably fsyncing a directory after creating or renaming a file in it) are explicit.
public enum FileSystem {
    /// Creates `path` and any missing parents (`mkdir -p`), mode 0755.
    public static func createDirectory(_ path: String) throws(FileError) {
        // The common case (router creating a shape folder in `shapes/`) needs one call, not one
        // per path component: each `mkdir` of an existing directory still walks and locks it.
        if mkdir(path, 0o755) == 0 || currentErrno() == EEXIST { return }
        guard currentErrno() == ENOENT else { throw FileError.current("mkdir", path) }
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if mkdir(prefix, 0o755) != 0 && currentErrno() != EEXIST {
                throw FileError.current("mkdir", prefix)
            }
            prefix += "/"
        }
    }

    /// The names of the entries in `path`, excluding `.` and `..`, in no particular order.
    public static func listDirectory(_ path: String) throws(FileError) -> [String] {
        guard let directory = opendir(path) else { throw FileError.current("opendir", path) }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." {
                names.append(name)
            }
        }
        return names
    }

    /// Makes a directory's entries (files created, renamed or removed in it) durable.
    public static func syncDirectory(_ path: String) throws(FileError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError.current("open directory", path) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw FileError.current("fsync directory", path) }
    }

    /// Atomically replaces `destination` with `source` (`rename(2)`).
    public static func rename(_ source: String, to destination: String) throws(FileError) {
        guard Glibc.rename(source, destination) == 0 else {
            throw FileError.current("rename to \(destination) from", source)
        }
    }

    /// Removes a file; a missing file is not an error.
    /// - Returns: whether a file was removed.
    @discardableResult
    public static func removeFile(_ path: String) throws(FileError) -> Bool {
        if unlink(path) == 0 { return true }
        guard currentErrno() == ENOENT else { throw FileError.current("unlink", path) }
        return false
    }

    /// Removes `path` and everything below it (`rm -rf`, not following symbolic links); a missing
    /// path is not an error.
    public static func removeTree(_ path: String) throws(FileError) {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if currentErrno() == ENOENT { return }
            throw FileError.current("lstat", path)
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            for name in try listDirectory(path) { try removeTree(path + "/" + name) }
            guard rmdir(path) == 0 || currentErrno() == ENOENT else { throw FileError.current("rmdir", path) }
        } else {
            try removeFile(path)
        }
    }

    /// Whether something exists at `path`.
    /// The size of the file at `path` in bytes.
    public static func fileSize(_ path: String) throws(FileError) -> UInt64 {
        var info = stat()
        guard stat(path, &info) == 0 else { throw FileError.current("stat", path) }
        return UInt64(info.st_size)
    }

    public static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// The directory part of `path` (`.` if there is none).
    public static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
