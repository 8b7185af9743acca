import ConduitCore
import Postgres
import WhereClause

/// A table as the catalog describes it: what shape creation validates against and what the
/// `electric-schema` header is built from.
struct TableSchema: Sendable {
    struct Column: Sendable, Hashable {
        var name: String
        /// Element type name for arrays, else the type name (`int4`, `text`, an enum's name…).
        var typeName: String
        var isArray: Bool
        var isEnum: Bool
        var typeModifier: Int32
        var dimensions: Int
        var notNull: Bool
        var generated: Bool
        /// Position in the primary key, nil when not part of it.
        var primaryKeyIndex: Int?
    }

    var relationID: UInt32
    var schema: String
    var name: String
    var replicaIdentityFull: Bool
    var columns: [Column]

    /// Primary-key column names in key order; every column when the table has no primary key.
    var primaryKey: [String] {
        let keyed = columns.filter { $0.primaryKeyIndex != nil }.sorted { $0.primaryKeyIndex! < $1.primaryKeyIndex! }
        return keyed.isEmpty ? columns.map(\.name) : keyed.map(\.name)
    }

    /// Reads the table from the catalog; nil when no such ordinary or partitioned table exists.
    /// One query (one round trip per new shape): the relation, then a row per column (a table
    /// without columns gives one row whose column fields are null). Prepared once per connection:
    /// planning this join took about 0.45 of its 0.6 ms of PostgreSQL's time per new shape.
    static func load(schema: String, table: String, connection: PostgresConnection) throws -> TableSchema? {
        let result = try connection.execute(
            prepared: "conduit_table_schema",
            """
            SELECT c.oid, c.relreplident, a.attname, coalesce(et.typname, t.typname), et.oid IS NOT NULL,
                   coalesce(et.typtype, t.typtype) = 'e', a.atttypmod, a.attndims, a.attnotnull,
                   a.attgenerated <> '',
                   (SELECT array_position(i.indkey::int2[], a.attnum) - array_lower(i.indkey::int2[], 1) FROM pg_index i
                     WHERE i.indrelid = a.attrelid AND i.indisprimary)
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            LEFT JOIN pg_type t ON t.oid = a.atttypid
            LEFT JOIN pg_type et ON et.oid = t.typelem AND t.typcategory = 'A'
            WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')
            ORDER BY a.attnum
            """,
            parameters: [schema, table]
        )
        guard let first = result.rows.first, let oidText = first[0], let oid = UInt32(oidText) else { return nil }
        return TableSchema(
            relationID: oid,
            schema: schema,
            name: table,
            replicaIdentityFull: first[1] == "f",
            columns: result.rows.compactMap { row in
                guard let name = row[2] else { return nil }
                return Column(
                    name: name,
                    typeName: row[3] ?? "",
                    isArray: row[4] == "t",
                    isEnum: row[5] == "t",
                    typeModifier: Int32(row[6] ?? "-1") ?? -1,
                    dimensions: Int(row[7] ?? "0") ?? 0,
                    notNull: row[8] == "t",
                    generated: row[9] == "t",
                    primaryKeyIndex: row[10].flatMap { Int($0) }
                )
            }
        )
    }

    /// The `electric-schema` header (protocol.md §5.3) for `selected` columns, in table order.
    func schemaHeader(selected: [String]) -> String {
        var writer = JSONWriter()
        writer.raw(UInt8(ascii: "{"))
        var first = true
        for column in columns where selected.contains(column.name) {
            if !first { writer.raw(UInt8(ascii: ",")) }
            first = false
            writer.key(column.name)
            writer.raw(UInt8(ascii: "{"))
            writer.key("type")
            writer.string(column.typeName)
            if column.isArray {
                writer.raw(",\"dims\":")
                writer.integer(max(column.dimensions, 1))
            }
            if let index = column.primaryKeyIndex {
                writer.raw(",\"pk_index\":")
                writer.integer(index)
            }
            if column.notNull { writer.raw(",\"not_null\":true") }
            Self.writeModifiers(column, into: &writer)
            writer.raw(UInt8(ascii: "}"))
        }
        writer.raw(UInt8(ascii: "}"))
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    private static func writeModifiers(_ column: Column, into writer: inout JSONWriter) {
        let modifier = column.typeModifier
        guard modifier >= 0 else { return }
        switch column.typeName {
        case "varchar":
            writer.raw(",\"max_length\":")
            writer.integer(modifier - 4)
        case "bpchar":
            writer.raw(",\"length\":")
            writer.integer(modifier - 4)
        case "bit", "varbit":
            writer.raw(",\"length\":")
            writer.integer(modifier)
        case "time", "timetz", "timestamp", "timestamptz":
            writer.raw(",\"precision\":")
            writer.integer(modifier)
        case "numeric":
            writer.raw(",\"precision\":")
            writer.integer(((modifier - 4) >> 16) & 0xFFFF)
            writer.raw(",\"scale\":")
            writer.integer((modifier - 4) & 0xFFFF)
        default:
            writer.raw(",\"type_mod\":")
            writer.integer(modifier)
        }
    }
}

extension TableSchema {
    /// The columns as the where-clause engine sees them.
    var whereColumns: [WhereColumn] {
        columns.map { WhereColumn(name: $0.name, typeName: $0.typeName, isArray: $0.isArray, isEnum: $0.isEnum) }
    }
}
