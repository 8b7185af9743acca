import ConduitCore
import Synchronization

/// What ingest's replication thread publishes for the status file and the gauges, which a
/// ``IngestStatusReporter`` samples once a second.
///
/// Written with relaxed atomic stores only (one per message at most, the rest per group commit
/// or status update), so publishing costs the replication loop nothing measurable; readers may
/// see values a moment apart, which a once-a-second status tolerates.
final class IngestProgress: Sendable {
    private let phaseValue = Atomic<UInt8>(0)
    private let confirmed = Atomic<UInt64>(0)
    private let walEnd = Atomic<UInt64>(0)
    /// Wall-clock seconds (bit pattern) when ingest last had all the server sent confirmed.
    private let caughtUpAt = Atomic<UInt64>(wallClockSeconds().bitPattern)
    private let durableValue = Mutex<SpoolDurablePosition?>(nil)

    static let phases: [IngestStatus.Phase] = [.starting, .connecting, .streaming, .pausedForRouter, .diskFull, .stopped]

    var phase: IngestStatus.Phase {
        get { Self.phases[Int(phaseValue.load(ordering: .relaxed))] }
        set { phaseValue.store(UInt8(Self.phases.firstIndex(of: newValue)!), ordering: .relaxed) }
    }

    /// A standby status update confirmed `lsn` as flushed.
    func confirmed(_ lsn: LSN) {
        confirmed.store(lsn.value, ordering: .relaxed)
        if lsn.value >= walEnd.load(ordering: .relaxed) { caughtUpAt.store(wallClockSeconds().bitPattern, ordering: .relaxed) }
    }

    /// The server reported its WAL end (keepalive or data message).
    @inline(__always) func serverWALEnd(_ lsn: LSN) {
        if lsn.value > walEnd.load(ordering: .relaxed) { walEnd.store(lsn.value, ordering: .relaxed) }
    }

    /// A group commit became durable (called by the syncer thread).
    func durable(_ position: SpoolDurablePosition) { durableValue.withLock { $0 = position } }

    var confirmedLSN: LSN? { confirmed.load(ordering: .relaxed).nonZeroLSN }
    var serverWALEndLSN: LSN? { walEnd.load(ordering: .relaxed).nonZeroLSN }
    var durablePosition: SpoolDurablePosition? { durableValue.withLock { $0 } }

    /// WAL bytes the server has that are not yet confirmed, and for how long ingest has been behind.
    func lag(now: Double) -> (bytes: UInt64, seconds: Double) {
        let end = walEnd.load(ordering: .relaxed)
        let flushed = confirmed.load(ordering: .relaxed)
        guard end > flushed, flushed > 0 else { return (0, 0) }
        return (end - flushed, max(0, now - Double(bitPattern: caughtUpAt.load(ordering: .relaxed))))
    }
}

extension UInt64 {
    fileprivate var nonZeroLSN: LSN? { self == 0 ? nil : LSN(self) }
}
