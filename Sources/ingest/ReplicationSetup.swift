import Logging
import Postgres

/// Creates the publication and the logical replication slot for a stream id when missing.
///
/// The publication starts empty; router adds each table when it first creates a shape on it
/// (together with `REPLICA IDENTITY FULL`), before taking that shape's snapshot.
enum ReplicationSetup {
    static func ensure(configuration: IngestConfiguration, replication: ReplicationConnection, logger: Logger) throws {
        let sql = try PostgresConnection(conninfo: configuration.databaseURL)
        defer { sql.close() }
        let publication = configuration.publicationName
        let exists = try sql.execute("SELECT 1 FROM pg_publication WHERE pubname = $1", parameters: [publication])
        if exists.rows.isEmpty {
            // "already exists" (42710) means another ingest created it concurrently: fine.
            try ignoringDuplicate { () throws(PostgresError) in
                try sql.execute("CREATE PUBLICATION \(PostgresConnection.quoteIdentifier(publication))")
            }
            logger.info("Created publication", metadata: ["pg.publication": "\(publication)"])
        }
        let slot = configuration.slotName
        let slots = try sql.execute(
            "SELECT plugin FROM pg_replication_slots WHERE slot_name = $1 AND database = current_database()",
            parameters: [slot]
        )
        if slots.rows.isEmpty {
            logger.info("Creating replication slot (waits for open transactions)", metadata: ["pg.slot": "\(slot)"])
            try ignoringDuplicate { () throws(PostgresError) in
                try replication.execute("CREATE_REPLICATION_SLOT \"\(slot)\" LOGICAL pgoutput NOEXPORT_SNAPSHOT")
            }
        } else if slots.rows[0][0] != "pgoutput" {
            throw PostgresError(message: "replication slot \(slot) exists but does not use the pgoutput plugin")
        }
    }

    private static func ignoringDuplicate(_ body: () throws(PostgresError) -> Void) throws(PostgresError) {
        do {
            try body()
        } catch {
            if error.sqlState != "42710" { throw error }
        }
    }
}
