import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A new, empty directory with a short unique path under `/tmp`, removed by ``remove()``.
///
/// Short on purpose: Unix socket paths (`sun_path`) are limited to 108 bytes, and Conduit puts its
/// sockets inside the storage directory, so `/tmp/cxt-XXXXXX/data/router.sock` must stay well
/// below that wherever the repository lives.
struct TemporaryDirectory: Sendable, CustomStringConvertible {
    /// The absolute path, without a trailing slash.
    let path: String

    /// Creates the directory (mode 0700) with `mkdtemp`.
    init(prefix: String = "cxt") throws {
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { buffer in
            mkdtemp(buffer.baseAddress!)
        }
        guard created != nil else {
            throw SupportError("mkdtemp failed: \(String(cString: strerror(errno)))")
        }
        path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Runs `body` with a new directory and removes it afterwards, also when `body` throws.
    static func with<Result>(
        prefix: String = "cxt",
        _ body: (TemporaryDirectory) async throws -> Result
    ) async throws -> Result {
        let directory = try TemporaryDirectory(prefix: prefix)
        defer { directory.remove() }
        return try await body(directory)
    }

    /// `path/component`.
    func appending(_ component: String) -> String {
        path + "/" + component
    }

    /// Creates `path/component` (and parents) and returns its path.
    @discardableResult
    func makeSubdirectory(_ component: String) throws -> String {
        let subdirectory = appending(component)
        try FileManager.default.createDirectory(atPath: subdirectory, withIntermediateDirectories: true)
        return subdirectory
    }

    /// Deletes the directory and everything in it. Never throws: cleanup must not mask a failure.
    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    var description: String { path }
}
