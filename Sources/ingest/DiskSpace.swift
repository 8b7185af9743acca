import ConduitCore
import Logging
import Spool

#if canImport(Glibc)
    import Glibc
#endif

/// ingest's full-disk episode: stop writing and confirming, say so once, wait for space, resume.
///
/// When a spool write fails with `ENOSPC` (or `EDQUOT`), the writer is reopened from disk (its
/// tail cut back to the last complete transaction) and replication stays disconnected, so nothing
/// new is written or confirmed; PostgreSQL keeps the WAL. ingest then polls the file system
/// (``minimumFreeBytes``) and runs retention meanwhile, which may free consumed segments. The
/// error is logged once per episode, and its end once; a write that fails again right after
/// resuming belongs to the same episode.
final class DiskSpace {
    let directory: String
    let logger: Logger
    /// Free bytes needed before resuming: a few frames (1 MiB each) and a new segment's header.
    let minimumFreeBytes: UInt64 = 4 << 20
    private(set) var isFull = false
    private var reported = false
    private var resumeReported = false

    init(directory: String, logger: Logger) {
        self.directory = directory
        self.logger = logger
    }

    /// Whether a spool error is the file system running out of space.
    static func isFullError(_ error: SpoolError) -> Bool {
        guard case .file(let file) = error else { return false }
        return file.errno == ENOSPC || file.errno == EDQUOT
    }

    /// A write failed for lack of space.
    func filled(error: SpoolError) {
        isFull = true
        guard !reported else { return }
        reported = true
        resumeReported = false
        logger.error(
            "Spool disk is full: ingest stopped reading from PostgreSQL and confirms nothing new (PostgreSQL keeps the WAL); it resumes by itself once \(minimumFreeBytes >> 20) MiB are free",
            metadata: [
                LogKey.spoolDirectory: "\(directory)", LogKey.error: "\(error)",
                LogKey.diskFreeBytes: "\(freeBytes().map { "\($0)" } ?? "unknown")",
            ])
    }

    /// The stream ran long enough after the last episode: a later full disk is a new episode.
    func madeProgress() { reported = false }

    /// Polls once a second until enough space is free (or a stop is requested).
    func waitForSpace(stop: StopSignal, whileWaiting: () -> Void) {
        while !stop.isRequested {
            whileWaiting()
            if let free = freeBytes(), free >= minimumFreeBytes {
                if !resumeReported {
                    logger.info("Spool disk has free space again; resuming replication", metadata: [LogKey.diskFreeBytes: "\(free)"])
                    resumeReported = true
                }
                isFull = false
                return
            }
            for _ in 0..<10 where !stop.isRequested { usleep(100_000) }
        }
    }

    /// Bytes available to ingest on the spool's file system, or nil if it cannot be asked.
    func freeBytes() -> UInt64? {
        var info = statvfs()
        guard statvfs(directory, &info) == 0 else { return nil }
        return UInt64(info.f_bavail) * UInt64(info.f_frsize)
    }
}
