import ConduitCore
import Logging
import Metrics
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Once a second: writes `router.status` and sets router's gauges (position, lag, shapes, shape-log
/// bytes, serve peers) from what the routing loop published.
///
/// Caught up means the loop has applied everything ingest announced durable; the time it last
/// was is what ``RouterStatus/lastCaughtUpAt`` and the lag in seconds measure from.
final class RouterStatusReporter: Sendable {
    let router: RouterService
    private let lastCaughtUpAt = Mutex<Double?>(nil)

    private let positionLSN = Gauge(label: ConduitMetrics.routerPositionLSN)
    private let lagBytes = Gauge(label: ConduitMetrics.routerLagBytes)
    private let lagSeconds = Gauge(label: ConduitMetrics.routerLagSeconds)
    private let shapes = Gauge(label: ConduitMetrics.shapes)
    private let shapeLogBytes = Gauge(label: ConduitMetrics.shapeLogBytes)
    private let servePeers = Gauge(label: ConduitMetrics.servePeers)

    init(router: RouterService) {
        self.router = router
    }

    /// The status service (list it before router's own, so it writes the final status).
    var service: PeriodicService {
        PeriodicService(every: .seconds(1)) { [self] final in report(final: final) }
    }

    func report(final: Bool) {
        let now = wallClockSeconds()
        let applied = router.progress.position
        let durable = router.inbox.durablePosition
        let caughtUp = durable == nil || durable?.position == applied.spool
        let caughtUpAt = lastCaughtUpAt.withLock { last -> Double? in
            if caughtUp && router.phase == .routing { last = now }
            return last
        }
        var lag: UInt64 = 0
        if let durable, !caughtUp, durable.commitEndLSN > applied.commitEnd { lag = durable.commitEndLSN.value - applied.commitEnd.value }
        let peers = router.servePeers
        positionLSN.record(Double(applied.commitEnd.value))
        lagBytes.record(Double(lag))
        lagSeconds.record(lag == 0 ? 0 : now - (caughtUpAt ?? now))
        shapes.record(Double(router.gauges.shapes))
        shapeLogBytes.record(Double(router.gauges.shapeLogBytes))
        servePeers.record(Double(peers.count))
        let status = RouterStatus(
            processID: getpid(), writtenAt: now, phase: final ? .stopped : router.phase, durable: durable, applied: applied.spool,
            appliedCommitEnd: applied.commitEnd, lastCaughtUpAt: caughtUpAt, shapes: router.gauges.shapes,
            ingestConnected: router.ingest.isConnected, servePeers: peers)
        do {
            try status.publish(to: router.configuration.storage.routerStatus)
        } catch {
            router.logger.debug(
                "Cannot write the status file",
                metadata: [LogKey.file: "\(router.configuration.storage.routerStatus)", LogKey.error: "\(error)"])
        }
    }
}
