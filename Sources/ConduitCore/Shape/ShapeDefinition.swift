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

    public init(
        schema: String,
        table: String,
        whereClause: String? = nil,
        params: [Int: String] = [:],
        columns: [String]? = nil,
        replica: ReplicaMode = .default
    ) {
        self.schema = schema
        self.table = table
        self.whereClause = whereClause
        self.params = params
        self.columns = columns
        self.replica = replica
    }
}

/// `replica` parameter: what updates and deletes carry (protocol.md §4.5).
public enum ReplicaMode: String, Codable, Hashable, Sendable {
    /// Updates carry the key and changed columns; deletes the key.
    case `default`
    /// Updates carry the whole new row plus `old_value` of changed columns; deletes the whole row.
    case full
}
