import ConduitCore
import Postgres

#if canImport(Glibc)
    import Glibc
#endif

/// One shape's initial snapshot on its snapshot worker's connection (protocol.md §8.1).
///
/// Runs entirely on a snapshot worker thread, never on the routing loop: ``prepare(publication:)``
/// readies the table, ``begin()`` opens the snapshot, the loop registers the shape (replaying
/// from the spool whatever it routed meanwhile), then ``copyRows(into:visibility:published:)``
/// streams the rows while the loop goes on appending changes to the change log.
final class SnapshotSession {
    private let connection: PostgresConnection
    private let resolved: ResolvedShape

    /// Session settings that fix the text form of values (protocol.md §4.3), the same as the
    /// replication connection's.
    static let settings =
        "SET datestyle = 'ISO, DMY'; SET timezone = 'UTC'; SET extra_float_digits = 1; "
        + "SET intervalstyle = 'iso_8601'; SET bytea_output = 'hex'"

    private let timeouts: DatabaseTimeouts
    /// The publication the table must be in (``prepare(publication:)``).
    private var publication = ""
    /// True once this session prepared the table: ``begin()`` does not prepare it twice.
    private var isPrepared = false
    /// True from ``begin()`` until the transaction is committed or rolled back: the connection
    /// is reused for the next shape only when this is false (``SnapshotWorker``).
    private(set) var isInTransaction = false

    /// - Parameter connection: open, with ``settings`` applied (``SnapshotWorker``).
    init(connection: PostgresConnection, resolved: ResolvedShape, timeouts: DatabaseTimeouts) {
        self.connection = connection
        self.resolved = resolved
        self.timeouts = timeouts
    }

    /// Opens the REPEATABLE READ transaction and returns its snapshot, with the WAL position
    /// read after it as its horizon (see ``SnapshotVisibility``).
    ///
    /// The same query checks that the table is in the publication, so a table that needs
    /// nothing costs no query of its own (``prepare(publication:)`` left the check here): when
    /// it is not, the transaction is rolled back, the table prepared, and the snapshot opened
    /// again.
    /// - Throws: ``ShapeRejection`` when preparing the table fails; PostgreSQL's errors otherwise.
    func begin() throws -> SnapshotVisibility {
        isInTransaction = true
        // The SELECT takes the transaction's snapshot when it starts, so the WAL position it reads
        // afterwards is at or after the snapshot: the horizon. The copy may take long: only the
        // lock timeout bounds it (a table locked by someone else fails the shape instead of
        // holding this worker), hence the transaction-local statement_timeout of 0. Prepared once
        // per connection: planning the publication check cost PostgreSQL more than the extra
        // round trip for BEGIN (pgbench: 0.27 against 0.40 ms per snapshot opened and committed).
        try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        let row = try connection.execute(
            prepared: "conduit_open_snapshot",
            "SELECT pg_current_snapshot()::text, pg_current_wal_insert_lsn()::text, set_config('statement_timeout', '0', true), "
                + Self.isPublished + "::text",
            parameters: publishedParameters
        ).rows.first ?? []
        if row.count > 3, row[3] == "false", !isPrepared {
            try rollback()
            try prepareTable()
            return try begin()
        }
        let text = row.first.flatMap { $0 } ?? ""
        let horizonText = row.count > 1 ? row[1] ?? "" : ""
        guard var visibility = SnapshotVisibility(text: text), let horizon = LSN(string: horizonText) else {
            throw PostgresError(message: "unexpected snapshot values: \(text) \(horizonText)")
        }
        visibility.horizon = horizon
        return visibility
    }

    /// Abandons the snapshot transaction (to take a new one).
    func rollback() throws {
        try connection.execute("ROLLBACK")
        isInTransaction = false
    }

    /// Streams the table's rows (selected columns, where clause applied by PostgreSQL) into
    /// `writer` as insert messages, then the `snapshot-end` message.
    /// `published` is called after each intermediate publication of chunks (from the writer's
    /// queue, once readers can see them).
    func copyRows(into writer: SnapshotWriter, visibility: SnapshotVisibility, published: @escaping @Sendable () -> Void) throws {
        guard resolved.definition.log == .full else {
            // log=changes_only (protocol.md §8.9): no rows, only the snapshot-end message. The
            // snapshot still decides which transactions the shape applies.
            try connection.execute("COMMIT")
            isInTransaction = false
            try writer.finish(snapshotEnd: ChangeRenderer.snapshotEnd(visibility))
            return
        }
        var rows = 0
        try withEachRow { render in
            try writer.append { buffer in JSONWriter.appending(to: &buffer, render) }
            rows += 1
            if rows % 10_000 == 0 {
                try writer.publishProgress(onPublished: published)
                Failpoint.hit("router.mid-snapshot")
            }
        }
        try connection.execute("COMMIT")
        isInTransaction = false
        try writer.finish(snapshotEnd: ChangeRenderer.snapshotEnd(visibility))
    }

    /// The shape's rows as snapshot insert messages, read with `COPY (SELECT <columns> FROM
    /// <table> WHERE <filter>) TO STDOUT`: one CopyData message per row rather than a `PGresult`
    /// (issue 11). COPY takes no bind parameters, so the filter's values are inlined as literals
    /// quoted by libpq (``PostgresConnection/escapeLiteral(_:)``), each with the cast its
    /// placeholder would have had.
    ///
    /// - Parameter onRow: receives each row's JSON, in a buffer reused for the next row.
    /// - Throws: PostgreSQL's error when the query fails (a data exception evaluating the
    ///   filter on a row keeps its SQLSTATE, class 22), or `onRow`'s.
    func renderRows(_ onRow: ([UInt8]) throws -> Void) throws {
        var json = JSONWriter(capacity: 1024)
        try withEachRow { render in
            json.bytes.removeAll(keepingCapacity: true)
            render(&json)
            try onRow(json.bytes)
        }
    }

    /// ``renderRows(_:)`` with each row handed over as a function that renders it into a
    /// writer, valid during the call: the snapshot renders rows straight into its log's buffer.
    private func withEachRow(_ onRow: ((inout JSONWriter) -> Void) throws -> Void) throws {
        let table = resolved.table
        var select = SnapshotRowRenderer.select(schema: table.schema, table: table.name, columns: resolved.columns)
        if let filter = resolved.filter {
            select += " WHERE " + (try filter.sql(quotingConstantsWith: connection.escapeLiteral))
        }
        let renderer = SnapshotRowRenderer(schema: table.schema, table: table.name, columns: resolved.columns, primaryKey: table.primaryKey)
        try connection.copyOut("COPY (\(select)) TO STDOUT") { row in
            try onRow { writer in renderer.render(row, into: &writer) }
        }
    }
}

extension SnapshotSession {
    /// Puts the table in the publication with REPLICA IDENTITY FULL (so updates and deletes
    /// carry the old row), then waits until every transaction that was running meanwhile has
    /// ended: those may have written to the table before it was published, and only a snapshot
    /// taken after they end is sure to contain their rows.
    ///
    /// A table the catalog showed with REPLICA IDENTITY FULL (every table after its first shape)
    /// is only checked, by ``begin()``, in the snapshot's own round trip.
    ///
    /// Bounded: DDL by the lock timeout, the wait by ``DatabaseTimeouts/openTransactionWaitSeconds``.
    func prepare(publication: String) throws(ShapeRejection) {
        self.publication = publication
        guard !resolved.table.replicaIdentityFull else { return }
        try prepareTable()
    }

    /// SQL that is true when the table `$2` is in the publication `$1` (``publishedParameters``).
    private static let isPublished =
        "EXISTS (SELECT 1 FROM pg_publication_rel pr JOIN pg_publication p ON p.oid = pr.prpubid WHERE p.pubname = $1 AND pr.prrelid = $2::oid)"

    /// ``isPublished``'s parameters for the shape's table and ``publication``.
    private var publishedParameters: [String?] { [publication, String(resolved.table.relationID)] }

    private func prepareTable() throws(ShapeRejection) {
        isPrepared = true
        let table = resolved.table
        do {
            let name = PostgresConnection.quoteIdentifier(table.schema) + "." + PostgresConnection.quoteIdentifier(table.name)
            let published =
                try connection.execute("SELECT " + Self.isPublished + "::text", parameters: publishedParameters).rows.first?.first == "true"
            guard !table.replicaIdentityFull || !published else { return }
            if !table.replicaIdentityFull {
                try connection.execute("ALTER TABLE \(name) REPLICA IDENTITY FULL")
            }
            if !published {
                do {
                    try connection.execute("ALTER PUBLICATION \(PostgresConnection.quoteIdentifier(publication)) ADD TABLE \(name)")
                } catch {
                    // Another snapshot worker published the table meanwhile (duplicate_object): done.
                    guard error.sqlState == "42710" else { throw error }
                }
            }
            let horizon = try connection.execute("SELECT pg_snapshot_xmax(pg_current_snapshot())::text").rows[0][0] ?? "0"
            let deadline = MonotonicClock.seconds() + Double(timeouts.openTransactionWaitSeconds)
            while MonotonicClock.seconds() < deadline {
                let xmin = try connection.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text").rows[0][0] ?? "0"
                if (UInt64(xmin) ?? 0) >= (UInt64(horizon) ?? 0) { return }
                usleep(20_000)
            }
            throw ShapeRejection.unavailable(
                message: "Timed out waiting for open transactions before the snapshot", retryAfterSeconds: 5)
        } catch let error as ShapeRejection {
            throw error
        } catch let error as PostgresError {
            if error.sqlState == "55P03" {
                throw .unavailable(message: "Snapshot timed out while waiting for a table lock", retryAfterSeconds: 5)
            }
            if error.sqlState == "57014" {
                throw .unavailable(message: "Preparing the table for replication timed out", retryAfterSeconds: 5)
            }
            throw .unavailable(message: "Unable to prepare the table for replication: \(error.message)", retryAfterSeconds: 5)
        } catch {
            throw .unavailable(message: "Unable to prepare the table for replication: \(error)", retryAfterSeconds: 5)
        }
    }
}
