#if canImport(Glibc)
    @preconcurrency import Glibc
#else
    import Darwin
#endif

/// A new, empty directory with a short unique path under `/tmp`, removed by ``remove()``.
///
/// Short on purpose: Unix socket paths (`sun_path`) are limited to 108 bytes, and Conduit puts its
/// sockets inside the storage directory, so `/tmp/cxt-XXXXXX/data/router.sock` must stay well
/// below that wherever the repository lives.
public struct TemporaryDirectory: Sendable, CustomStringConvertible {
    /// `mkdtemp` or `mkdir` failed.
    public struct CreationError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The absolute path, without a trailing slash.
    public let path: String

    /// Creates the directory (mode 0700) with `mkdtemp`.
    public init(prefix: String = "cxt") throws {
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { buffer in
            mkdtemp(buffer.baseAddress!)
        }
        guard created != nil else {
            throw CreationError(description: "mkdtemp failed: \(String(cString: strerror(errno)))")
        }
        path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Runs `body` with a new directory and removes it afterwards, also when `body` throws.
    public static func with<Result>(
        prefix: String = "cxt",
        _ body: (TemporaryDirectory) async throws -> Result
    ) async throws -> Result {
        let directory = try TemporaryDirectory(prefix: prefix)
        defer { directory.remove() }
        return try await body(directory)
    }

    /// `path/component`.
    public func appending(_ component: String) -> String {
        path + "/" + component
    }

    /// Creates `path/component` (and parents) and returns its path.
    @discardableResult
    public func makeSubdirectory(_ component: String) throws -> String {
        let subdirectory = appending(component)
        var prefix = ""
        for part in subdirectory.split(separator: "/") {
            prefix += "/" + part
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw CreationError(description: "mkdir \(prefix) failed: \(String(cString: strerror(errno)))")
            }
        }
        return subdirectory
    }

    /// Deletes the directory and everything in it. Never throws: cleanup must not mask a failure.
    public func remove() {
        removeTestTree(path)
    }

    public var description: String { path }
}

/// Runs `body` with a fresh directory unique to this call, removed afterwards.
public func withUniqueTestDirectory<T>(_ body: (String) throws -> T) throws -> T {
    let directory = try TemporaryDirectory(prefix: "conduit-test")
    defer { directory.remove() }
    return try body(directory.path)
}

/// `rm -rf` for test directories (no symlink handling needed).
public func removeTestTree(_ path: String) {
    guard let directory = opendir(path) else {
        unlink(path)
        return
    }
    var names: [String] = []
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        if name != "." && name != ".." { names.append(name) }
    }
    closedir(directory)
    for name in names { removeTestTree(path + "/" + name) }
    rmdir(path)
}
