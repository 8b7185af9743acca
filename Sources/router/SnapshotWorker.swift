import ConduitCore
import Postgres

/// A snapshot worker thread's database connection, kept from one shape to the next.
///
/// Opening a PostgreSQL connection (a backend fork, authentication, the session settings of
/// protocol.md §4.3) cost more than everything else a new empty shape needs; the connection is
/// reused once a shape's work ended cleanly (no transaction open) and dropped after any failure,
/// so a broken or half-used session never serves the next shape. Confined to its worker thread.
final class SnapshotWorker {
    let databaseURL: String
    let timeouts: DatabaseTimeouts
    private var connection: PostgresConnection?

    init(databaseURL: String, timeouts: DatabaseTimeouts) {
        self.databaseURL = databaseURL
        self.timeouts = timeouts
    }

    /// A session for `resolved` on the kept connection, opening one if there is none.
    func session(for resolved: ResolvedShape) throws(PostgresError) -> SnapshotSession {
        if connection == nil {
            let opened = try PostgresConnection.open(databaseURL, timeouts: timeouts)
            try opened.execute(SnapshotSession.settings)
            connection = opened
        }
        return SnapshotSession(connection: connection!, resolved: resolved, timeouts: timeouts)
    }

    /// Ends `session`'s use of the connection: kept when the session left no transaction open
    /// (rolled back if it did and that works), closed otherwise.
    func finished(_ session: SnapshotSession) {
        guard session.isInTransaction else { return }
        do {
            try session.rollback()
        } catch {
            discardConnection()
        }
    }

    /// Drops the connection after a failure whose session state is unknown.
    func discardConnection() {
        connection?.close()
        connection = nil
    }
}
