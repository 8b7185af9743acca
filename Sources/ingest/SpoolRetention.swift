import ConduitCore
import Logging
import Spool

#if canImport(Glibc)
    import Glibc
#endif

/// Applies ``SpoolRetentionPolicy`` to the spool directory every ``period`` seconds.
///
/// Runs on ingest's replication thread (between reads, or while paused), so it never races the
/// writer's recovery or rotation; listing reads one small header per segment and removing a
/// segment is one unlink, both cheap next to the period.
final class SpoolRetention {
    let directory: String
    let policy: SpoolRetentionPolicy
    /// router's last reported position (``DurabilityAnnouncer/consumed``).
    let consumed: () -> LSN?
    let logger: Logger
    let period: Double = 10
    private var lastRun = -Double.infinity
    private var lastProblem: String?

    init(directory: String, policy: SpoolRetentionPolicy, consumed: @escaping () -> LSN?, logger: Logger) {
        self.directory = directory
        self.policy = policy
        self.consumed = consumed
        self.logger = logger
    }

    /// Runs ``run()`` when the period has passed since the last run.
    func runIfDue() {
        let now = MonotonicClock.seconds()
        guard now - lastRun >= period else { return }
        lastRun = now
        run()
    }

    /// Removes what the policy allows. A failure is logged (once while it persists) and retried
    /// next period: retention never stops ingest.
    func run() {
        do throws(SpoolError) {
            let segments = try SpoolCatalog.list(directory: directory)
            let remove = policy.segmentsToRemove(segments, consumed: consumed(), now: Self.wallClock())
            lastProblem = nil
            guard !remove.isEmpty else { return }
            try SpoolCatalog.remove(remove, directory: directory)
            let freed = segments.filter { remove.contains($0.key) }.reduce(UInt64(0)) { $0 + $1.bytes }
            logger.info(
                "Spool retention removed consumed segments",
                metadata: [
                    LogKey.spoolSegments: "\(remove.count)", LogKey.spoolFreedBytes: "\(freed)",
                    LogKey.spoolFirstKept: "\(segments.first { !remove.contains($0.key) }?.key.paddedHex ?? "none")",
                ])
        } catch {
            let problem = "\(error)"
            if problem != lastProblem { logger.warning("Spool retention failed; retrying later", metadata: [LogKey.error: "\(problem)"]) }
            lastProblem = problem
        }
    }

    /// Seconds since 1970 (segment ages compare with file modification times).
    static func wallClock() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
