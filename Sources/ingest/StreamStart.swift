import ConduitCore
import Logging
import Postgres
import Spool

/// Everything between connecting and `START_REPLICATION`: gathers the facts for
/// ``ContinuityCheck``, carries out its decision, and returns the LSN to stream from.
///
/// A reset happens in this order, each step safe to crash after: the old slot is dropped, a new
/// one is created (its consistent point is the new epoch's start), then the spool gets a new
/// segment whose first frame is the reset record, fsynced and announced to router before any
/// transaction of the new stream is read. A crash before the reset reaches the spool leaves a
/// slot ahead of the spool, which the next check resets again.
struct StreamStart {
    let configuration: IngestConfiguration
    let storageHasHistory: Bool
    let logger: Logger

    /// Checks continuity on `replication` and prepares `spool` for streaming.
    ///
    /// - Returns: where to start replication: exactly the spool's stream position.
    /// - Throws: ``SpoolError`` when the spool cannot continue safely (fatal), ``PostgresError``
    ///   when the server cannot be asked or changed (retry).
    func prepare(
        replication: ReplicationConnection, spool: SpoolWriter, syncer: SpoolSyncer, feedback: inout FeedbackPolicy
    ) throws -> LSN {
        let slotName = configuration.slotName
        let server = try ReplicationSetup.identifySystem(replication, slot: slotName)
        let sql = try PostgresConnection(conninfo: configuration.databaseURL)
        defer { sql.close() }
        try ReplicationSetup.ensurePublication(configuration.publicationName, sql: sql, logger: logger)
        let slot = try ReplicationSetup.inspectSlot(slotName, sql: sql)
        let state = ContinuityCheck.SpoolState(
            epoch: spool.epoch, isEmpty: spool.isEmpty, end: spool.lastCommitEndLSN, hasUnresolvedTail: spool.unresolvedTail != nil,
            storageHasHistory: storageHasHistory)

        switch ContinuityCheck.decide(spool: state, server: server, slot: slot) {
        case .resume(let end):
            try spool.resolveTail(confirmedFlush: slot?.confirmedFlush)
            return spool.lastCommitEndLSN ?? end
        case .damagedTail(let confirmed):
            try spool.resolveTail(confirmedFlush: confirmed)  // throws SpoolError.damagedConfirmedData
            throw SpoolError.damagedConfirmedData(
                path: spool.directory, offset: 0, reason: "damaged tail", confirmed: confirmed, spoolEnd: spool.lastCommitEndLSN ?? .zero)
        case .slotBusy(let pid):
            throw PostgresError(
                message:
                    "replication slot \(slotName) is in use by walsender pid \(pid): is another ingest running with CONDUIT_STREAM_ID \(configuration.stream.streamID)?"
            )
        case .adopt(let epoch):
            try spool.resolveTail(confirmedFlush: slot?.confirmedFlush)
            let position = try spool.beginEpoch(epoch, reset: nil)
            syncer.waitUntilDurable(position)
            logger.info(
                "Adopted a version-1 spool: its stream identity is now recorded",
                metadata: [LogKey.spoolEpoch: "\(epoch.number)", LogKey.pgSystem: "\(epoch.identity.systemIdentifier)"])
            return position.commitEndLSN
        case .firstEpoch(let existing):
            let start: LSN
            if let existing {
                start = existing
                logger.info(
                    "Starting the first stream epoch from the existing replication slot",
                    metadata: [LogKey.slot: "\(slotName)", LogKey.lsn: "\(start)"])
            } else {
                logger.info(
                    "Starting the first stream epoch: creating the replication slot (waits for open transactions)",
                    metadata: [LogKey.slot: "\(slotName)"])
                if slot != nil { try ReplicationSetup.dropSlot(slotName, sql: sql) }  // invalidated: unusable
                start = try ReplicationSetup.createSlot(slotName, replication: replication)
            }
            let position = try spool.beginEpoch(SpoolEpoch(number: 1, start: start, identity: server.identity), reset: nil)
            syncer.waitUntilDurable(position)
            feedback.restart(at: start)
            return start
        case .reset(let cause, let epoch):
            logger.error(
                "Replication stream reset: \(cause). Starting stream epoch \(epoch) from a new replication slot; every shape is invalidated and its clients must refetch (409)",
                metadata: [
                    LogKey.slot: "\(slotName)", LogKey.spoolEpoch: "\(epoch)",
                    LogKey.spoolEnd: "\(spool.lastCommitEndLSN.map { "\($0)" } ?? "none")",
                ])
            if slot != nil { try ReplicationSetup.dropSlot(slotName, sql: sql) }
            let start = try ReplicationSetup.createSlot(slotName, replication: replication)
            let reset = SpoolStreamReset(epoch: epoch, resumeLSN: start, identity: server.identity, reason: "\(cause)")
            let position = try spool.beginEpoch(SpoolEpoch(number: epoch, start: start, identity: server.identity), reset: reset)
            syncer.waitUntilDurable(position)
            feedback.restart(at: start)
            logger.info(
                "Stream epoch started",
                metadata: [LogKey.spoolEpoch: "\(epoch)", LogKey.lsn: "\(start)", LogKey.spoolSegment: "\(position.segment.paddedHex)"])
            return start
        }
    }
}
