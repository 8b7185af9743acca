import ConduitCore
import Logging
import Spool

#if canImport(Glibc)
    import Glibc
#endif

/// Streams one replication connection into the spool until it breaks or a stop is requested.
///
/// Runs on ingest's dedicated thread (never on the cooperative pool: libpq calls and fsync
/// block). Per CopyData message it does no allocation beyond the spool's own buffer copy:
/// only Begin and Commit are decoded here, the spool keeps the raw pgoutput bytes.
///
/// Group commit: commits accumulate in the spool's buffer while messages keep arriving; a frame
/// ending at a commit is written when the socket runs dry at a transaction boundary while the
/// syncer is idle (or 64 KiB of commits wait), or when the oldest unwritten commit is older than
/// ``groupCommitWindow``. The ``SpoolSyncer`` thread then
/// fsyncs it while this thread keeps reading; once it is durable the flush LSN is confirmed to
/// PostgreSQL (next status update) and announced to router (by the syncer).
///
/// Keepalives between transactions become position frames (``FeedbackPolicy/positionToRecord(now:)``),
/// synced the same way: only what the syncer reports durable is ever confirmed.
final class ReplicationStream {
    private let connection: ReplicationConnection
    private let spool: SpoolWriter
    private let announcer: DurabilityAnnouncer
    private let syncer: SpoolSyncer
    /// The last position handed to the syncer.
    private(set) var lastRequested: SpoolDurablePosition?
    /// Spool bytes written when the syncer was last asked to flush.
    private var bytesAtLastSync: UInt64 = 0
    private let logger: Logger
    private let stop: StopSignal
    private let maxRouterLag: UInt64
    private var feedback: FeedbackPolicy
    private let retention: SpoolRetention
    private let progress: IngestProgress

    private var unflushedCommitSince: Double?
    private var lastKeepaliveWalEnd: LSN = .zero

    /// Longest time a commit waits in the buffer for others to share its fsync.
    let groupCommitWindow: Double = 0.02

    init(
        connection: ReplicationConnection,
        spool: SpoolWriter,
        announcer: DurabilityAnnouncer,
        syncer: SpoolSyncer,
        feedback: FeedbackPolicy,
        maxRouterLag: UInt64,
        retention: SpoolRetention,
        progress: IngestProgress,
        stop: StopSignal,
        logger: Logger
    ) {
        self.retention = retention
        self.progress = progress
        self.connection = connection
        self.spool = spool
        self.announcer = announcer
        self.syncer = syncer
        self.feedback = feedback
        self.feedback.connectionStarted()
        self.maxRouterLag = maxRouterLag
        self.stop = stop
        self.logger = logger
    }

    /// The feedback state, to carry over to the next connection.
    var feedbackState: FeedbackPolicy { feedback }

    /// Streams until a stop is requested (returns) or the connection fails (throws).
    func run() throws {
        var pollDescriptor = pollfd(fd: connection.socket, events: Int16(POLLIN), revents: 0)
        var receivedLastRound = false
        while !stop.isRequested {
            retention.runIfDue()
            if announcer.routerLag(spooled: spool.lastTransactionEndLSN ?? .zero) > maxRouterLag {
                // Back-pressure: stop reading (PostgreSQL keeps the WAL) but keep the walsender
                // content with status updates.
                progress.phase = .pausedForRouter
                if let durable = syncer.durable { feedback.spoolFlushed(upTo: durable.commitEndLSN) }
                try sendStatusIfDue()
                usleep(50_000)
                continue
            }
            progress.phase = .streaming
            var received = false
            drain: while true {
                switch connection.nextCopyData() {
                case .message(let bytes):
                    received = true
                    try handle(bytes)
                case .wouldBlock:
                    break drain
                case .ended:
                    throw connection.finishError()
                }
            }
            if commitWindowExpired() || (!received && groupCommitReady()) {
                try groupCommit()
            }
            try recordIdlePosition()
            if let durable = syncer.durable { feedback.spoolFlushed(upTo: durable.commitEndLSN) }
            presyncLargeTransaction()
            try sendStatusIfDue()
            if !received {
                if receivedLastRound {
                    // The stream is flowing and we merely caught up: nap instead of blocking in
                    // poll. A reader blocked in poll is woken by every message the walsender
                    // sends (one send per message), which costs the walsender — the bottleneck —
                    // more than the data itself; after a short nap many messages are read at once.
                    usleep(150)
                } else {
                    // While a sync is outstanding, wake up soon to confirm it (and write the commits
                    // that waited for it) as soon as it lands.
                    let syncPending = (lastRequested?.commitEndLSN ?? .zero) > feedback.durable
                    pollDescriptor.revents = 0
                    _ = poll(&pollDescriptor, 1, unflushedCommitSince != nil || syncPending ? 1 : 100)
                }
            }
            receivedLastRound = received
            guard connection.consumeInput() else { throw connection.finishError() }
        }
        try groupCommit()
        try recordIdlePosition(force: true)
        syncer.finish(waitingFor: lastRequested)
        if let durable = syncer.durable { feedback.spoolFlushed(upTo: durable.commitEndLSN) }
        try sendStatusIfDue(force: true)
        if !connection.endStream(timeout: 5) {
            logger.warning(
                "PostgreSQL did not acknowledge the end of the replication stream; the last confirmation may not have reached the slot"
            )
        }
    }

    private func handle(_ copyData: UnsafeRawBufferPointer) throws {
        switch try ReplicationMessage(copyData: copyData) {
        case .xLogData(let header):
            progress.serverWALEnd(header.walEnd)
            let payload = header.payload(in: copyData)
            guard let tag = payload.first else { return }
            try append(payload, tag: tag, lsn: header.dataStart)
        case .primaryKeepalive(let keepalive):
            lastKeepaliveWalEnd = keepalive.walEnd
            progress.serverWALEnd(keepalive.walEnd)
            let idle = spool.isAtTransactionBoundary
            feedback.keepaliveReceived(walEnd: keepalive.walEnd, replyRequested: keepalive.replyRequested, idle: idle)
            if keepalive.replyRequested { try sendStatusIfDue() }
        }
    }

    private func append(_ payload: UnsafeRawBufferPointer, tag: UInt8, lsn: LSN) throws {
        // The spool drops transactions it already holds (sent again when a confirmation never
        // reached PostgreSQL before a crash), so each transaction is spooled once.
        let result = try spool.append(lsn: lsn, message: payload)
        if tag == PgOutputMessage.Tag.commit, result == .appended, unflushedCommitSince == nil {
            unflushedCommitSince = MonotonicClock.seconds()
        }
    }

    /// The socket ran dry: write the commits now when the syncer is idle, so a lone commit waits
    /// for nothing but its own fsync. While a sync is in flight the next one cannot start anyway:
    /// commits arriving meanwhile share one frame and one fsync (classic group commit), unless
    /// they already fill 64 KiB. No fixed wait sits on the path from commit to router.
    private func groupCommitReady() -> Bool {
        guard unflushedCommitSince != nil else { return false }
        return spool.pendingBytes >= 64 << 10 || !syncInFlight
    }

    /// Whether the syncer is still flushing the last position handed to it.
    private var syncInFlight: Bool {
        guard let lastRequested else { return false }
        return !syncer.isDurable(lastRequested)
    }

    private func commitWindowExpired() -> Bool {
        guard let since = unflushedCommitSince else { return false }
        return MonotonicClock.seconds() - since >= groupCommitWindow
    }

    /// While a large transaction streams in, has the syncer flush every few MiB written, so its
    /// commit does not wait for the whole transaction to reach the disk at once.
    private func presyncLargeTransaction() {
        let written = spool.compressedBytesWritten
        guard written - bytesAtLastSync >= 4 << 20, let segment = spool.currentSegment else { return }
        bytesAtLastSync = written
        syncer.presync(segment: segment)
    }

    /// Between transactions, records the latest keepalive's walEnd in the spool when the policy
    /// asks (after every pending commit), and hands it to the syncer: confirmed once durable.
    private func recordIdlePosition(force: Bool = false) throws {
        guard spool.isAtTransactionBoundary, let lsn = feedback.positionToRecord(now: MonotonicClock.seconds(), force: force) else {
            return
        }
        guard let position = try spool.recordPosition(lsn) else { return }
        unflushedCommitSince = nil
        lastRequested = position
        bytesAtLastSync = spool.compressedBytesWritten
        syncer.request(position)
    }

    /// Writes every complete transaction in the buffer and hands the position to the syncer.
    func groupCommit() throws {
        guard unflushedCommitSince != nil, spool.isAtTransactionBoundary else { return }
        guard let position = try spool.writeCommitBoundary() else { return }
        unflushedCommitSince = nil
        lastRequested = position
        bytesAtLastSync = spool.compressedBytesWritten
        syncer.request(position)
    }

    private func sendStatusIfDue(force: Bool = false) throws {
        if force { feedback.keepaliveReceived(walEnd: .zero, replyRequested: true, idle: false) }
        if let update = feedback.updateDue(now: MonotonicClock.seconds()) {
            try connection.sendCopyData(update.encoded())
            progress.confirmed(update.flushed)
        }
    }
}
