import CLibPQ

/// The rows of one query result, copied out of libpq in text format.
///
/// Values are PostgreSQL's text representation (`nil` for SQL NULL). Small results only: for
/// large ones stream rows with ``PostgresConnection/query(_:parameters:onRow:)``.
public struct PostgresResult: Sendable {
    public var columnNames: [String]
    public var rows: [[String?]]

    public init(columnNames: [String], rows: [[String?]]) {
        self.columnNames = columnNames
        self.rows = rows
    }

    /// Copies every row of `result`. `result` stays owned by the caller.
    public init(copying result: OpaquePointer) {
        let columnCount = Int(PQnfields(result))
        let rowCount = Int(PQntuples(result))
        columnNames = (0..<columnCount).map { String(cString: PQfname(result, Int32($0))) }
        var rows: [[String?]] = []
        rows.reserveCapacity(rowCount)
        for row in 0..<rowCount {
            rows.append(PostgresResult.row(result, row, columnCount: columnCount))
        }
        self.rows = rows
    }

    static func row(_ result: OpaquePointer, _ row: Int, columnCount: Int) -> [String?] {
        (0..<columnCount).map { column in
            if PQgetisnull(result, Int32(row), Int32(column)) == 1 { return nil }
            return String(cString: PQgetvalue(result, Int32(row), Int32(column)))
        }
    }

    /// The value at `row`, column `name`; nil when NULL or absent.
    public func value(_ row: Int, _ name: String) -> String? {
        guard let index = columnNames.firstIndex(of: name), row < rows.count else { return nil }
        return rows[row][index]
    }
}
