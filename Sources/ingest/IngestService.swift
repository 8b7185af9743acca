import ConduitCore
import Foundation
import Logging
import Metrics
import Spool
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// ingest's life: lock the storage directory, recover the spool, then connect, check continuity,
/// stream; on any failure settle the spool, log one clear line and retry with backoff (1 s
/// doubling to 30 s) until stopped.
///
/// Failures are of three kinds:
/// - the connection or the server (PostgreSQL down, walsender gone): settle and retry;
/// - a spool write (a full disk, an I/O error): the writer is reopened from disk, which cuts
///   back to the last complete transaction; on a full disk ingest waits, logging once, until
///   space is free (``DiskSpace``), then resumes where the spool ends;
/// - damage to durable spool data (``IngestFailure/isFatal(_:)``): ingest stops with the error,
///   which names the file and offset and the recovery.
///
/// Settling (after every failure, before the next `START_REPLICATION`): the partial transaction
/// is discarded and every complete one written and fsynced, so replication resumes exactly from
/// what is durable — never past a commit that was only in memory.
///
/// Runs on the thread of a ``ThreadService`` (``run(stop:)``); graceful shutdown sets `stop`,
/// and the stream then writes and fsyncs what it holds, confirms it to PostgreSQL and returns.
final class IngestService: Sendable {
    private let configuration: IngestConfiguration
    private let logger: Logger
    let progress: IngestProgress
    /// router's last reported position, once the announcer exists.
    private let announcerBox = Mutex<DurabilityAnnouncer?>(nil)

    init(configuration: IngestConfiguration, progress: IngestProgress = IngestProgress(), logger: Logger) {
        self.configuration = configuration
        self.progress = progress
        self.logger = logger
    }

    /// router's last reported position (for the status file).
    var routerConsumed: LSN? { announcerBox.withLock { $0 }?.consumed }

    /// The service that runs ingest: list it last in the group.
    var service: ThreadService {
        ThreadService(name: "ingest") { [self] stop in try run(stop: stop) }
    }

    func run(stop: StopSignal) throws {
        defer { progress.phase = .stopped }
        let storage = configuration.storage
        let lock: DirectoryLock
        do {
            lock = try DirectoryLock.acquire(directory: storage.root, name: Self.lockFileName)
        } catch {
            throw IngestFailure.locked(directory: storage.root, error)
        }
        defer { withExtendedLifetime(lock) {} }
        let storageHasHistory = Self.storageHasHistory(storage)
        var spool = try openSpool()
        logger.info(
            "Spool recovered",
            metadata: [LogKey.spoolResumeLSN: "\(spool.lastCommitEndLSN ?? .zero)", LogKey.spoolDirectory: "\(storage.spoolDirectory)"]
        )
        let announcer = try DurabilityAnnouncer(socketPath: storage.ingestSocket, initial: spool.durablePosition, logger: logger)
        defer { announcer.close() }
        announcerBox.withLock { $0 = announcer }
        announcer.start()
        if let position = spool.durablePosition { progress.durable(position) }
        let logger = self.logger
        let progress = self.progress
        let groupCommits = Counter(label: ConduitMetrics.spoolCommits)
        let syncer = SpoolSyncer(
            directory: storage.spoolDirectory,
            onDurable: { position in
                announcer.announce(position)
                progress.durable(position)
                groupCommits.increment()
            },
            onFailure: { reason in
                // The page cache's state is unknown after a failed fsync: restart and recover
                // from what is really on disk rather than confirm anything.
                logger.critical("Spool fsync failed; exiting", metadata: [LogKey.error: "\(reason)"])
                exit(1)
            }
        )
        let retention = SpoolRetention(
            directory: storage.spoolDirectory,
            policy: SpoolRetentionPolicy(maxBytes: configuration.retentionBytes, maxAge: configuration.retentionSeconds),
            consumed: { announcer.consumed },
            logger: logger)
        syncer.start()
        SystemdNotifier.ready(status: "spool recovered; connecting to PostgreSQL")
        let start = StreamStart(configuration: configuration, storageHasHistory: storageHasHistory, logger: logger)
        let disk = DiskSpace(directory: storage.spoolDirectory, logger: logger)
        var feedback = FeedbackPolicy(
            interval: configuration.statusIntervalSeconds, positionInterval: configuration.positionIntervalSeconds)
        if let lsn = spool.lastCommitEndLSN { feedback.spoolFlushed(upTo: lsn) }
        var backoff: Double = 1
        while !stop.isRequested {
            if disk.isFull {
                progress.phase = .diskFull
                disk.waitForSpace(stop: stop, whileWaiting: { retention.run() })
                continue
            }
            let started = MonotonicClock.seconds()
            progress.phase = .connecting
            do {
                let connection = try ReplicationConnection(url: configuration.databaseURL)
                let from = try start.prepare(replication: connection, spool: spool, syncer: syncer, feedback: &feedback)
                try connection.startReplication(slot: configuration.slotName, publication: configuration.publicationName, start: from)
                logger.info("Replication started", metadata: [LogKey.slot: "\(configuration.slotName)", LogKey.lsn: "\(from)"])
                progress.phase = .streaming
                let stream = ReplicationStream(
                    connection: connection,
                    spool: spool,
                    announcer: announcer,
                    syncer: syncer,
                    feedback: feedback,
                    maxRouterLag: configuration.maxRouterLagBytes,
                    retention: retention,
                    progress: progress,
                    stop: stop,
                    logger: logger
                )
                defer { feedback = stream.feedbackState }
                try stream.run()
                disk.madeProgress()
            } catch {
                let spoolFailure = (error as? SpoolError) ?? settle(spool, syncer)
                if let spoolFailure {
                    if IngestFailure.isFatal(spoolFailure) { throw spoolFailure }
                    // Whatever the writer held in memory or half wrote is not durable: start over
                    // from what is on disk (recovery cuts back to the last complete transaction).
                    spool = try openSpool()
                    if DiskSpace.isFullError(spoolFailure) {
                        disk.filled(error: spoolFailure)
                        continue
                    }
                }
                if stop.isRequested { break }
                if MonotonicClock.seconds() - started > 30 {
                    backoff = 1
                    disk.madeProgress()
                }
                logger.error(
                    spoolFailure == nil
                        ? "Replication connection failed; retrying" : "Spool write failed; reopened the spool from disk, retrying",
                    metadata: [LogKey.error: "\(spoolFailure.map { "\($0)" } ?? "\(error)")", LogKey.retrySeconds: "\(Int(backoff))"]
                )
                sleepUnlessStopped(seconds: backoff, stop: stop)
                backoff = min(backoff * 2, 30)
            }
        }
        logger.info("Replication stopped; the spool is durable and confirmed", metadata: [LogKey.spoolDurableLSN: "\(feedback.durable)"])
    }

    /// The lock that keeps a second ingest off a storage directory.
    static let lockFileName = "ingest.lock"

    private func openSpool() throws(SpoolError) -> SpoolWriter {
        try SpoolWriter(
            directory: configuration.storage.spoolDirectory,
            segmentTargetBytes: configuration.segmentBytes,
            compressionLevel: configuration.compressionLevel,
            logger: logger
        )
    }

    /// After a failure: drops the partial transaction and makes every complete one durable, so
    /// the next `START_REPLICATION` (from ``SpoolWriter/lastCommitEndLSN``) starts exactly at
    /// what is on disk. Returns the spool error if that fails.
    private func settle(_ spool: SpoolWriter, _ syncer: SpoolSyncer) -> SpoolError? {
        guard spool.unresolvedTail == nil else { return nil }
        do throws(SpoolError) {
            try spool.discardOpenTransaction()
            if let position = try spool.writeCommitBoundary() { syncer.waitUntilDurable(position) }
            return nil
        } catch {
            return error
        }
    }

    /// Whether router has state here (a checkpoint or shapes), so an empty spool means a lost one.
    private static func storageHasHistory(_ storage: StorageLayout) -> Bool {
        if FileSystem.exists(storage.routerCheckpoint) { return true }
        let shapes = (try? FileSystem.listDirectory(storage.shapesDirectory)) ?? []
        return shapes.contains { !$0.hasPrefix(".") }
    }

    private func sleepUnlessStopped(seconds: Double, stop: StopSignal) {
        var remaining = seconds
        while remaining > 0 && !stop.isRequested {
            usleep(100_000)
            remaining -= 0.1
        }
    }
}

/// Why ingest stops instead of retrying.
enum IngestFailure: Error, CustomStringConvertible {
    /// Another ingest holds the storage directory's lock.
    case locked(directory: String, DirectoryLockError)

    var description: String {
        switch self {
        case .locked(_, .held(let path, let holder)):
            return "\(DirectoryLockError.held(path: path, holder: holder))"
        case .locked(let directory, let error):
            return "cannot lock storage directory \(directory): \(error)"
        }
    }

    /// Spool errors that mean durable data is damaged or missing: retrying cannot help, and
    /// going on could lose or double data. Everything else is retried.
    static func isFatal(_ error: SpoolError) -> Bool {
        switch error {
        case .corruptSegmentHeader, .corruptFrame, .segmentGap, .corruptRecord, .damagedConfirmedData, .limitMismatch,
            .missingSegment, .segmentNotFound, .unresolvedTail:
            return true
        case .file, .writerFailed, .compression, .noCursor, .notAtTransactionBoundary, .undecodableMessage, .messageTooLarge:
            return false
        }
    }
}
