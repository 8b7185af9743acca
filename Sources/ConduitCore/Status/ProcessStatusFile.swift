import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A status file a process rewrites every second in the storage directory (`ingest.status`,
/// `router.status`): what only that process knows, for `router status` and serve's
/// `GET /v1/status`, which read it without talking to the process.
///
/// Rewritten in place, never fsynced: after a crash it may be stale, which readers detect from
/// ``ProcessStatusFile/processID`` (is the process alive?) and ``ProcessStatusFile/writtenAt``.
/// In place, because the status matters most when the disk is full: a rename needs a new file
/// (and blocks), rewriting the blocks the file already has does not. The JSON is padded with
/// spaces to whole 4 KiB pages so the file never shrinks or grows between writes; a reader that
/// catches a write half done fails to decode and reads again.
public protocol ProcessStatusFile: Codable, Sendable {
    /// The writer's process id.
    var processID: Int32 { get }
    /// Seconds since 1970 when the file was written.
    var writtenAt: Double { get }
}

extension ProcessStatusFile {
    /// Writes the file in place (no fsync).
    public func publish(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var bytes = [UInt8](try encoder.encode(self))
        let page = 4096
        bytes += [UInt8](repeating: UInt8(ascii: " "), count: (page - bytes.count % page) % page)
        let file = try PosixFile(path: path, flags: O_WRONLY | O_CREAT, mode: 0o644)
        try file.write(bytes, at: 0)
        if try file.size() > UInt64(bytes.count) { try file.truncate(to: UInt64(bytes.count)) }
    }

    /// The file at `path`; nil when it is missing or unreadable (a reader reports "unknown").
    public static func read(from path: String) -> Self? {
        for _ in 0..<3 {
            guard let bytes = try? AtomicFile.read(path: path) else { return nil }
            if let status = try? JSONDecoder().decode(Self.self, from: Data(bytes)) { return status }
        }
        return nil
    }

    /// Whether the writer still runs: its pid exists (signal 0) and it is not a zombie.
    public var writerIsAlive: Bool {
        guard kill(processID, 0) == 0 || errno == EPERM else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(processID)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return true }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first != "Z"
    }
}

/// Seconds since 1970 (status files compare times across processes).
public func wallClockSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}
