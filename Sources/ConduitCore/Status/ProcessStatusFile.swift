import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A status file a process rewrites every second in the storage directory (`ingest.status`,
/// `router.status`): what only that process knows, for `router status` and serve's
/// `GET /v1/status`, which read it without talking to the process.
///
/// Replaced atomically but not fsynced (``AtomicFile/publish(path:bytes:)``): after a crash it
/// may be stale, which readers detect from ``ProcessStatusFile/processID`` (is the process
/// alive?) and ``ProcessStatusFile/writtenAt``.
public protocol ProcessStatusFile: Codable, Sendable {
    /// The writer's process id.
    var processID: Int32 { get }
    /// Seconds since 1970 when the file was written.
    var writtenAt: Double { get }
}

extension ProcessStatusFile {
    /// Writes the file (atomic replace, no fsync).
    public func publish(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try AtomicFile.publish(path: path, bytes: [UInt8](try encoder.encode(self)))
    }

    /// The file at `path`; nil when it is missing or unreadable (a reader reports "unknown").
    public static func read(from path: String) -> Self? {
        guard let bytes = try? AtomicFile.read(path: path) else { return nil }
        return try? JSONDecoder().decode(Self.self, from: Data(bytes))
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
