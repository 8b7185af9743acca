import ConduitCore
import Logging
import Postgres
import Spool

/// The catalog side of a stream: the publication, the slot, and what the server says about itself.
///
/// The publication starts empty; router adds each table when it first creates a shape on it
/// (together with `REPLICA IDENTITY FULL`), before taking that shape's snapshot. The slot is
/// created only by ``StreamStart`` once the continuity check has decided so.
enum ReplicationSetup {
    /// Creates the publication if it is missing.
    static func ensurePublication(_ name: String, sql: PostgresConnection, logger: Logger) throws(PostgresError) {
        let exists = try sql.execute("SELECT 1 FROM pg_publication WHERE pubname = $1", parameters: [name])
        guard exists.rows.isEmpty else { return }
        // "already exists" (42710) means another ingest created it concurrently: fine.
        try ignoringDuplicate { () throws(PostgresError) in
            try sql.execute("CREATE PUBLICATION \(PostgresConnection.quoteIdentifier(name))")
        }
        logger.info("Created publication", metadata: [LogKey.publication: "\(name)"])
    }

    /// `IDENTIFY_SYSTEM` on the replication connection: system identifier, timeline, flushed WAL
    /// position and database, with the configured slot name.
    static func identifySystem(_ replication: ReplicationConnection, slot: String) throws(PostgresError) -> ContinuityCheck.ServerState {
        let result = try replication.execute("IDENTIFY_SYSTEM")
        guard let row = result.rows.first, row.count >= 4, let system = row[0].flatMap({ UInt64($0) }),
            let timeline = row[1].flatMap({ UInt32($0) }), let position = row[2].flatMap({ LSN(string: $0) }), let database = row[3]
        else {
            throw PostgresError(message: "IDENTIFY_SYSTEM returned an unexpected row: \(result.rows.first.map { "\($0)" } ?? "none")")
        }
        return ContinuityCheck.ServerState(
            identity: SpoolStreamIdentity(systemIdentifier: system, timeline: timeline, database: database, slot: slot),
            walPosition: position)
    }

    /// The slot's row in `pg_replication_slots` (in this database), or nil if it does not exist.
    ///
    /// - Throws: when the slot exists but does not use pgoutput (it is not ours).
    static func inspectSlot(_ slot: String, sql: PostgresConnection) throws(PostgresError) -> ContinuityCheck.SlotState? {
        let result = try sql.execute(
            """
            SELECT plugin, wal_status, confirmed_flush_lsn::text, active_pid::text FROM pg_replication_slots
            WHERE slot_name = $1 AND database = current_database()
            """,
            parameters: [slot]
        )
        guard let row = result.rows.first else { return nil }
        guard row[0] == "pgoutput" else {
            throw PostgresError(message: "replication slot \(slot) exists but does not use the pgoutput plugin")
        }
        return ContinuityCheck.SlotState(
            walStatus: row[1], confirmedFlush: row[2].flatMap { LSN(string: $0) }, activePID: row[3].flatMap { Int32($0) })
    }

    /// Creates the logical slot on the replication connection and returns its consistent point:
    /// the LSN streaming starts from. Waits for transactions that are open meanwhile.
    static func createSlot(_ slot: String, replication: ReplicationConnection) throws(PostgresError) -> LSN {
        let result = try replication.execute("CREATE_REPLICATION_SLOT \"\(slot)\" LOGICAL pgoutput NOEXPORT_SNAPSHOT")
        guard let row = result.rows.first, row.count >= 2, let point = row[1].flatMap({ LSN(string: $0) }) else {
            throw PostgresError(message: "CREATE_REPLICATION_SLOT returned no consistent point")
        }
        return point
    }

    /// Drops the slot (it must not be in use).
    static func dropSlot(_ slot: String, sql: PostgresConnection) throws(PostgresError) {
        try sql.execute("SELECT pg_drop_replication_slot($1)", parameters: [slot])
    }

    private static func ignoringDuplicate(_ body: () throws(PostgresError) -> Void) throws(PostgresError) {
        do {
            try body()
        } catch {
            if error.sqlState != "42710" { throw error }
        }
    }
}
