import ConduitCore
import Postgres

/// Renders rows read by a `SELECT <selected columns>` of a shape's table as snapshot insert
/// messages (protocol.md §4.2, §4.5): the initial snapshot's rows and subset snapshots' rows.
struct SnapshotRowRenderer {
    private let keyPositions: [Int]
    private let names: [[UInt8]]
    private let prefix: [UInt8]
    private let relationJSON: [UInt8]

    /// - Parameters:
    ///   - columns: the selected columns, in the order the query returns them.
    init(schema: String, table: String, columns: [String], primaryKey: [String]) {
        keyPositions = primaryKey.compactMap { columns.firstIndex(of: $0) }
        names = columns.map { name in
            var writer = JSONWriter()
            writer.key(name)
            return writer.bytes
        }
        prefix = Array((ShapeLayout.quoted(schema) + "." + ShapeLayout.quoted(table)).utf8)
        var relation = JSONWriter()
        relation.raw(UInt8(ascii: "["))
        relation.string(schema)
        relation.raw(UInt8(ascii: ","))
        relation.string(table)
        relation.raw(UInt8(ascii: "]"))
        relationJSON = relation.bytes
    }

    /// `SELECT "a", "b" FROM "schema"."table"`: the selected columns, quoted.
    static func select(schema: String, table: String, columns: [String]) -> String {
        "SELECT " + columns.map(PostgresConnection.quoteIdentifier).joined(separator: ", ") + " FROM "
            + PostgresConnection.quoteIdentifier(schema) + "." + PostgresConnection.quoteIdentifier(table)
    }

    /// One row as `{"key":…,"value":{…},"headers":{"operation":"insert","relation":[…]}}`, with
    /// `"snapshot_mark":N` in the headers for a subset snapshot.
    func render(_ values: [String?], snapshotMark: Int? = nil) -> [UInt8] {
        let key = ChangeRenderer.key(prefix: prefix, values: keyPositions.map { values[$0].map { Array($0.utf8)[...] } })
        return ChangeRenderer.snapshotRow(key: key, names: names, values: values, relationJSON: relationJSON, snapshotMark: snapshotMark)
    }
}
