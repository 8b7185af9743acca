#if canImport(Glibc)
@preconcurrency import Glibc
#else
import Darwin
#endif

@testable import Shared

/// Runs `body` with a fresh directory unique to this call, removed afterwards.
func withUniqueTestDirectory<T>(_ body: (String) throws -> T) throws -> T {
    var template = Array("/tmp/conduit-spool-test-XXXXXX".utf8CString)
    let path = template.withUnsafeMutableBufferPointer { buffer -> String? in
        guard let result = mkdtemp(buffer.baseAddress!) else { return nil }
        return String(cString: result)
    }
    guard let path else { throw FileError(operation: "mkdtemp", path: "/tmp", errno: errno) }
    defer { removeTestTree(path) }
    return try body(path)
}

/// `rm -rf` for test directories (no symlink handling needed).
func removeTestTree(_ path: String) {
    if let names = try? FileSystem.listDirectory(path) {
        for name in names {
            removeTestTree(path + "/" + name)
        }
        rmdir(path)
    } else {
        unlink(path)
    }
}
