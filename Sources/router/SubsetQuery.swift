import ConduitCore
import Postgres
import WhereClause

/// What the routing loop hands a catalog worker for one subset snapshot: the shape's meaning,
/// copied, so the worker never touches the loop's state.
struct SubsetTarget: Sendable {
    var metadata: ShapeMetadata
    /// The columns the shape's where clause was compiled against (see ``ActiveShape/whereColumns``).
    var whereColumns: [WhereColumn]
}

/// Bounds on one subset snapshot (`CONDUIT_SUBSET_*`).
struct SubsetLimits: Sendable, Hashable {
    /// Rows one answer may hold; a larger result is refused (400) rather than cut short, so a
    /// client never mistakes a partial subset for the whole one.
    var maxRows: Int
    /// Bytes of rendered rows one answer may hold. The reply crosses router.sock as one JSON line
    /// whose escaping at most doubles it, so the bound keeps it well under the 16 MiB an IPC peer
    /// may queue (``defaultIPCQueueBytes``).
    var maxBytes: Int
    /// `statement_timeout` of the subset's query.
    var statementMilliseconds: Int
}

/// A subset snapshot (protocol.md §3.4, §4.8) on a catalog worker, never on the routing loop.
extension ShapeResolver {
    /// Checks `subset` against the shape's table and runs it in a REPEATABLE READ READ ONLY
    /// transaction of its own: the shape's where clause AND the subset's, ordered, limited and
    /// offset, every client value a bind parameter and every column quoted.
    func subsetSnapshot(_ target: SubsetTarget, _ subset: SubsetRequest, limits bounds: SubsetLimits) -> SubsetOutcome {
        let query: (sql: String, parameters: [String?], capped: Bool)
        do throws(ShapeRejection) {
            query = try subsetSQL(target, subset, maxRows: bounds.maxRows)
        } catch {
            return .rejected(error)
        }
        let metadata = target.metadata
        let renderer = SnapshotRowRenderer(
            schema: metadata.definition.schema, table: metadata.definition.table, columns: metadata.columns,
            primaryKey: metadata.primaryKey)
        let mark = Int.random(in: 0...Int(Int32.max))
        var rows: [String] = []
        var bytes = 0
        var tooLarge: ShapeRejection?
        do {
            let connection = try open()
            try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            defer { _ = try? connection.execute("ROLLBACK") }
            try connection.execute(
                "SET LOCAL statement_timeout = \(bounds.statementMilliseconds); "
                    + SnapshotSession.settings.replacingOccurrences(of: "SET ", with: "SET LOCAL "))
            let current = try connection.execute(
                "SELECT pg_current_snapshot()::text, (pg_current_wal_lsn() - '0/0'::pg_lsn)::text")
            let snapshotText = current.rows.first?[0] ?? ""
            let lsnText = current.rows.first?[1] ?? "0"
            _ = try connection.query(query.sql, parameters: query.parameters) { values in
                guard tooLarge == nil else { return }
                if query.capped && rows.count == bounds.maxRows {
                    tooLarge = .invalid(
                        field: "subset.limit",
                        message: "The subset has more than \(bounds.maxRows) rows (CONDUIT_SUBSET_MAX_ROWS); "
                            + "page through it with order_by, limit and offset")
                    return
                }
                let row = String(decoding: renderer.render(values, snapshotMark: mark), as: UTF8.self)
                bytes += row.utf8.count
                if bytes > bounds.maxBytes {
                    tooLarge = .invalid(
                        field: "subset.limit",
                        message: "The subset is larger than \(bounds.maxBytes) bytes (CONDUIT_SUBSET_MAX_BYTES); "
                            + "page through it with order_by, limit and offset")
                    return
                }
                rows.append(row)
            }
            if let tooLarge { return .rejected(tooLarge) }
            let parts = snapshotText.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 3 else { throw PostgresError(message: "unexpected snapshot \(snapshotText)") }
            return .snapshot(
                SubsetSnapshot(
                    xmin: String(parts[0]), xmax: String(parts[1]),
                    xipList: parts[2].split(separator: ",").map(String.init),
                    databaseLSN: lsnText, snapshotMark: mark, rows: rows))
        } catch let error as PostgresError where error.sqlState != nil {
            // PostgreSQL refused the query (an invalid enum value, a statement timeout, …).
            return .rejected(.subsetQueryFailed(message: error.message))
        } catch {
            connection = nil
            return .rejected(
                .unavailable(
                    message: "Cannot connect to the database to run the subset snapshot. Please try again later.", retryAfterSeconds: 2))
        }
    }

    /// The query: `SELECT <shape columns> FROM <table> WHERE (<shape where>) AND (<subset where>)
    /// ORDER BY … LIMIT … OFFSET …`. `capped` when the LIMIT is router's bound plus one (the
    /// extra row tells a result over the bound from one exactly at it).
    func subsetSQL(_ target: SubsetTarget, _ subset: SubsetRequest, maxRows: Int) throws(ShapeRejection)
        -> (sql: String, parameters: [String?], capped: Bool)
    {
        let metadata = target.metadata
        var conditions: [String] = []
        var parameters: [String?] = []
        if let shapeFilter = try CompiledFilter.compile(metadata.definition, columns: target.whereColumns, limits: limits) {
            let rendered = shapeFilter.sql
            conditions.append(rendered.sql)
            parameters = rendered.parameters
        }
        if let text = subset.whereClause {
            do {
                let clause = try WhereClause.compile(text, columns: target.whereColumns, params: subset.params, limits: limits)
                let rendered = clause.sql(firstParameterIndex: parameters.count + 1)
                conditions.append(rendered.sql)
                parameters += rendered.parameters
            } catch {
                throw .invalid(field: "subset.where", message: error.message)
            }
        }
        var sql = SnapshotRowRenderer.select(
            schema: metadata.definition.schema, table: metadata.definition.table, columns: metadata.columns)
        if !conditions.isEmpty { sql += " WHERE " + conditions.map { "(" + $0 + ")" }.joined(separator: " AND ") }
        if let text = subset.orderBy {
            let orderBy: SubsetOrderBy
            do {
                orderBy = try SubsetOrderBy.parse(text)
            } catch {
                throw .invalid(field: "subset.order_by", message: error.message)
            }
            let known = Set(target.whereColumns.map(\.name))
            if let unknown = orderBy.terms.first(where: { !known.contains($0.column) }) {
                throw .invalid(field: "subset.order_by", message: "At location \(unknown.location): unknown reference \(unknown.column)")
            }
            sql += " ORDER BY " + orderBy.sql(quote: PostgresConnection.quoteIdentifier)
        }
        let capped = subset.limit.map { $0 > maxRows } ?? true
        sql += " LIMIT \(capped ? maxRows + 1 : subset.limit!)"
        if let offset = subset.offset { sql += " OFFSET \(offset)" }
        return (sql, parameters, capped)
    }
}
