import ConduitCore
import Logging
import Metrics
import Spool
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Once a second: writes `ingest.status` and sets ingest's gauges from ``IngestProgress`` and
/// the spool directory (segment headers, listed every fifth tick: the spool changes by whole
/// segments, rarely).
final class IngestStatusReporter: Sendable {
    let configuration: IngestConfiguration
    let progress: IngestProgress
    let consumed: @Sendable () -> LSN?
    let logger: Logger
    private let spool = Mutex<(tick: Int, summary: IngestStatus.Spool)>(
        (0, IngestStatus.Spool(segments: 0, bytes: 0, firstSegment: nil, lastSegment: nil)))

    private let lagBytes = Gauge(label: ConduitMetrics.replicationLagBytes)
    private let lagSeconds = Gauge(label: ConduitMetrics.replicationLagSeconds)
    private let confirmedLSN = Gauge(label: ConduitMetrics.confirmedLSN)
    private let spoolBytes = Gauge(label: ConduitMetrics.spoolBytes)
    private let spoolSegments = Gauge(label: ConduitMetrics.spoolSegments)

    init(configuration: IngestConfiguration, progress: IngestProgress, consumed: @escaping @Sendable () -> LSN?, logger: Logger) {
        self.configuration = configuration
        self.progress = progress
        self.consumed = consumed
        self.logger = logger
    }

    /// The status service (list it before the replication service, so it writes the final status).
    var service: PeriodicService {
        PeriodicService(every: .seconds(1)) { [self] final in report(final: final) }
    }

    func report(final: Bool) {
        let now = wallClockSeconds()
        let summary = spoolSummary(force: final)
        let lag = progress.lag(now: now)
        lagBytes.record(Double(lag.bytes))
        lagSeconds.record(lag.seconds)
        confirmedLSN.record(Double(progress.confirmedLSN?.value ?? 0))
        spoolBytes.record(Double(summary.bytes))
        spoolSegments.record(Double(summary.segments))
        let status = IngestStatus(
            processID: getpid(), writtenAt: now, phase: final ? .stopped : progress.phase, slot: configuration.slotName,
            publication: configuration.publicationName, confirmedLSN: progress.confirmedLSN, serverWALEnd: progress.serverWALEndLSN,
            lagBytes: lag.bytes, lagSeconds: lag.seconds, durable: progress.durablePosition, spool: summary, routerConsumed: consumed())
        do {
            try status.publish(to: configuration.storage.ingestStatus)
        } catch {
            logger.debug(
                "Cannot write the status file", metadata: [LogKey.file: "\(configuration.storage.ingestStatus)", LogKey.error: "\(error)"])
        }
    }

    /// Listed every fifth tick, and whenever the durable position moved to a segment the last
    /// listing did not show (the spool rotated, or the first segment appeared).
    private func spoolSummary(force: Bool) -> IngestStatus.Spool {
        let durableSegment = progress.durablePosition?.segment
        let due = spool.withLock { state -> Bool in
            defer { state.tick += 1 }
            return force || state.tick % 5 == 0 || (durableSegment != nil && durableSegment != state.summary.lastSegment)
        }
        guard due, let segments = try? SpoolCatalog.list(directory: configuration.storage.spoolDirectory) else {
            return spool.withLock { $0.summary }
        }
        let summary = IngestStatus.Spool(
            segments: segments.count, bytes: segments.reduce(0) { $0 + $1.bytes }, firstSegment: segments.first?.key,
            lastSegment: segments.last?.key)
        spool.withLock { $0.summary = summary }
        return summary
    }
}
