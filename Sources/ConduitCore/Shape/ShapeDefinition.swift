/// What a client asked for: the parameters that define a shape's identity, already checked for
/// syntax by serve (identifiers parsed and case-folded) but not yet resolved against the catalog.
///
/// router resolves it (table exists, columns exist and include the primary key, the where clause
/// type-checks) and maps each distinct resolved definition to one ``ShapeHandle``.
public struct ShapeDefinition: Codable, Hashable, Sendable {
    /// Schema name, verbatim (already unquoted / lower-cased per identifier rules).
    public var schema: String
    /// Table name, verbatim.
    public var table: String
    /// The `where` parameter as sent, or nil.
    public var whereClause: String?
    /// Positional parameters for `$n` in the where clause (`params[1]=…`), keyed by number.
    public var params: [Int: String]
    /// Selected columns (identifiers, verbatim), or nil for all columns.
    public var columns: [String]?
    public var replica: ReplicaMode
    /// `log` parameter: whether the shape starts with the table's rows or only with the changes
    /// after its creation (protocol.md §8.9). Part of the identity.
    public var log: LogMode

    public init(
        schema: String,
        table: String,
        whereClause: String? = nil,
        params: [Int: String] = [:],
        columns: [String]? = nil,
        replica: ReplicaMode = .default,
        log: LogMode = .full
    ) {
        self.schema = schema
        self.table = table
        self.whereClause = whereClause
        self.params = params
        self.columns = columns
        self.replica = replica
        self.log = log
    }

    private enum CodingKeys: String, CodingKey {
        case schema, table, whereClause, params, columns, replica, log
    }

    /// Files written before `log` existed decode as `log=full`, the only mode there was.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        schema = try container.decode(String.self, forKey: .schema)
        table = try container.decode(String.self, forKey: .table)
        whereClause = try container.decodeIfPresent(String.self, forKey: .whereClause)
        params = try container.decodeIfPresent([Int: String].self, forKey: .params) ?? [:]
        columns = try container.decodeIfPresent([String].self, forKey: .columns)
        replica = try container.decodeIfPresent(ReplicaMode.self, forKey: .replica) ?? .default
        log = try container.decodeIfPresent(LogMode.self, forKey: .log) ?? .full
    }
}

/// `log` parameter (protocol.md §3.1, §8.9).
public enum LogMode: String, Codable, Hashable, Sendable {
    /// The initial snapshot's rows, then every change.
    case full
    /// No initial rows (only `snapshot-end`), then the changes of transactions the shape's
    /// snapshot does not see; rows are loaded on demand with subset snapshots.
    case changesOnly = "changes_only"
}

/// `replica` parameter: what updates and deletes carry (protocol.md §4.5).
public enum ReplicaMode: String, Codable, Hashable, Sendable {
    /// Updates carry the key and changed columns; deletes the key.
    case `default`
    /// Updates carry the whole new row plus `old_value` of changed columns; deletes the whole row.
    case full
}
