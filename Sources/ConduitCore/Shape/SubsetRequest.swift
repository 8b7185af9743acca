/// A subset snapshot request (protocol.md §3.4): rows of a shape that also match `whereClause`,
/// ordered, limited and offset, read in a snapshot of their own.
///
/// serve builds it from `subset__*` query parameters or a POST body and checks what needs no
/// catalog (integers, `order_by` syntax, `order_by` required with `limit`/`offset`); router
/// compiles the where clause against the table and runs the query.
public struct SubsetRequest: Codable, Hashable, Sendable {
    /// `subset__where` / body `where`.
    public var whereClause: String?
    /// `$n` values of ``whereClause``, keyed by number.
    public var params: [Int: String]
    /// `subset__order_by` / body `order_by`, as sent.
    public var orderBy: String?
    /// Rows to return at most (> 0).
    public var limit: Int?
    /// Rows to skip (≥ 0).
    public var offset: Int?

    public init(whereClause: String? = nil, params: [Int: String] = [:], orderBy: String? = nil, limit: Int? = nil, offset: Int? = nil) {
        self.whereClause = whereClause
        self.params = params
        self.orderBy = orderBy
        self.limit = limit
        self.offset = offset
    }
}

/// What router answers a subset request with.
public enum SubsetOutcome: Codable, Hashable, Sendable {
    case snapshot(SubsetSnapshot)
    /// The request is invalid (400) or cannot be run now (503).
    case rejected(ShapeRejection)
    /// The handle names no shape (any more): serve answers 409 like for any other request.
    case shapeGone
}

/// The rows of a subset snapshot and the PostgreSQL snapshot they were read in (protocol.md §4.8).
public struct SubsetSnapshot: Codable, Hashable, Sendable {
    /// `pg_current_snapshot()` of the query's transaction, decimal.
    public var xmin: String
    public var xmax: String
    public var xipList: [String]
    /// `pg_current_wal_lsn()` in that transaction, decimal.
    public var databaseLSN: String
    /// Random mark in `[0, 2^31-1]` carried by every row's headers.
    public var snapshotMark: Int
    /// Each row rendered once by router: `{"key":…,"value":…,"headers":{…,"snapshot_mark":N}}`.
    public var rows: [String]

    public init(xmin: String, xmax: String, xipList: [String], databaseLSN: String, snapshotMark: Int, rows: [String]) {
        self.xmin = xmin
        self.xmax = xmax
        self.xipList = xipList
        self.databaseLSN = databaseLSN
        self.snapshotMark = snapshotMark
        self.rows = rows
    }
}
