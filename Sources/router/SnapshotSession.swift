import ConduitCore
import Postgres

/// One shape's initial snapshot on its own connection (protocol.md §8.1).
///
/// ``begin()`` runs on router's main loop, so the shape is registered with the snapshot's
/// visibility before any later transaction is routed; ``copyRows(into:)`` then runs on a
/// background thread while the main loop goes on appending changes to the change log.
final class SnapshotSession {
    private let connection: PostgresConnection
    private let resolved: ResolvedShape

    /// Session settings that fix the text form of values (protocol.md §4.3), the same as the
    /// replication connection's.
    static let settings =
        "SET datestyle = 'ISO, DMY'; SET timezone = 'UTC'; SET extra_float_digits = 1; "
        + "SET intervalstyle = 'iso_8601'; SET bytea_output = 'hex'"

    init(databaseURL: String, resolved: ResolvedShape) throws {
        connection = try PostgresConnection(conninfo: databaseURL)
        self.resolved = resolved
        try connection.execute(Self.settings)
    }

    /// Opens the REPEATABLE READ transaction and returns its snapshot.
    func begin() throws -> SnapshotVisibility {
        try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        let text = try connection.execute("SELECT pg_current_snapshot()::text").rows[0][0] ?? ""
        guard let visibility = SnapshotVisibility(text: text) else {
            throw PostgresError(message: "unexpected pg_current_snapshot() value: \(text)")
        }
        return visibility
    }

    /// Streams the table's rows (selected columns, where clause applied by PostgreSQL) into
    /// `writer` as insert messages, then the `snapshot-end` message.
    /// `published` is called after each intermediate publication of chunks.
    func copyRows(into writer: SnapshotWriter, visibility: SnapshotVisibility, published: () -> Void) throws {
        let table = resolved.table
        let columns = resolved.columns
        let quotedTable = PostgresConnection.quoteIdentifier(table.schema) + "." + PostgresConnection.quoteIdentifier(table.name)
        var sql = "SELECT " + columns.map(PostgresConnection.quoteIdentifier).joined(separator: ", ") + " FROM " + quotedTable
        var parameters: [String?] = []
        if let filter = resolved.filter {
            let rendered = filter.sql
            sql += " WHERE " + rendered.sql
            parameters = rendered.parameters
        }
        let keyPositions = table.primaryKey.compactMap { columns.firstIndex(of: $0) }
        let names: [[UInt8]] = columns.map { name in
            var writer = JSONWriter()
            writer.key(name)
            return writer.bytes
        }
        let prefix = Array((ShapeLayout.quoted(table.schema) + "." + ShapeLayout.quoted(table.name)).utf8)
        var relation = JSONWriter()
        relation.raw(UInt8(ascii: "["))
        relation.string(table.schema)
        relation.raw(UInt8(ascii: ","))
        relation.string(table.name)
        relation.raw(UInt8(ascii: "]"))
        var rows = 0
        try connection.query(sql, parameters: parameters) { values in
            let key = ChangeRenderer.key(prefix: prefix, values: keyPositions.map { values[$0].map { Array($0.utf8)[...] } })
            try writer.append(row: ChangeRenderer.snapshotRow(key: key, names: names, values: values, relationJSON: relation.bytes))
            rows += 1
            if rows % 10_000 == 0 {
                try writer.publishProgress()
                published()
            }
        }
        try connection.execute("COMMIT")
        try writer.finish(snapshotEnd: ChangeRenderer.snapshotEnd(visibility))
    }
}
