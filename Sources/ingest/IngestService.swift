import Foundation
import Logging
import ConduitCore
import Spool

#if canImport(Glibc)
import Glibc
#endif

/// ingest's life: recover the spool, then connect, set up, stream; on any failure log one clear
/// line and retry with backoff (1 s doubling to 30 s) until stopped.
final class IngestService {
    private let configuration: IngestConfiguration
    private let logger: Logger
    private let stop: StopSignal

    init(configuration: IngestConfiguration, stop: StopSignal, logger: Logger) {
        self.configuration = configuration
        self.stop = stop
        self.logger = logger
    }

    func run() throws {
        let spool = try SpoolWriter(
            directory: configuration.storage.spoolDirectory,
            compressionLevel: configuration.compressionLevel,
            logger: logger
        )
        logger.info(
            "Spool recovered",
            metadata: ["spool.resume_lsn": "\(spool.lastCommitEndLSN ?? .zero)", "spool.dir": "\(configuration.storage.spoolDirectory)"]
        )
        let announcer = try DurabilityAnnouncer(
            socketPath: configuration.storage.ingestSocket,
            initial: spool.durablePosition,
            logger: logger
        )
        defer { announcer.close() }
        let logger = self.logger
        let syncer = SpoolSyncer(
            directory: configuration.storage.spoolDirectory,
            onDurable: { announcer.announce($0) },
            onFailure: { reason in
                // The page cache's state is unknown after a failed fsync: restart and recover
                // from what is really on disk rather than confirm anything.
                logger.critical("Spool fsync failed; exiting", metadata: ["error": "\(reason)"])
                exit(1)
            }
        )
        var feedback = FeedbackPolicy(interval: configuration.statusIntervalSeconds)
        if let lsn = spool.lastCommitEndLSN { feedback.spoolFlushed(upTo: lsn) }
        var backoff: Double = 1
        while !stop.isRequested {
            let started = MonotonicClock.seconds()
            do {
                let connection = try ReplicationConnection(url: configuration.databaseURL)
                try ReplicationSetup.ensure(configuration: configuration, replication: connection, logger: logger)
                let start = max(spool.lastCommitEndLSN ?? .zero, feedback.flushed)
                try connection.startReplication(
                    slot: configuration.slotName, publication: configuration.publicationName, start: start)
                logger.info(
                    "Replication started",
                    metadata: ["pg.slot": "\(configuration.slotName)", "pg.lsn": "\(start)"]
                )
                let stream = ReplicationStream(
                    connection: connection,
                    spool: spool,
                    announcer: announcer,
                    syncer: syncer,
                    feedback: feedback,
                    maxRouterLag: configuration.maxRouterLagBytes,
                    stop: stop,
                    logger: logger
                )
                defer { feedback = stream.feedbackState }
                try stream.run()
            } catch {
                if stop.isRequested { break }
                if MonotonicClock.seconds() - started > 30 { backoff = 1 }
                logger.error(
                    "Replication connection failed; retrying",
                    metadata: ["error": "\(error)", "retry.seconds": "\(Int(backoff))"]
                )
                sleepUnlessStopped(seconds: backoff)
                backoff = min(backoff * 2, 30)
            }
        }
        logger.info("ingest stopped", metadata: ["spool.durable_lsn": "\(feedback.durable)"])
    }

    private func sleepUnlessStopped(seconds: Double) {
        var remaining = seconds
        while remaining > 0 && !stop.isRequested {
            usleep(100_000)
            remaining -= 0.1
        }
    }
}
