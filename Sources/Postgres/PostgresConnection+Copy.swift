import CLibPQ

extension PostgresConnection {
    /// Runs `COPY (…) TO STDOUT` (text format) and hands each row to `onRow`, parsed
    /// (``CopyTextRow``): the fastest way to read a large result, one CopyData message per row
    /// instead of the `PGresult` per row of ``queryRows(_:parameters:onRow:)``.
    ///
    /// Blocking: runs on the caller's thread until the copy ends. COPY takes no bind parameters,
    /// so values in `sql` must be literals from ``escapeLiteral(_:)``.
    ///
    /// - Parameter onRow: receives each row, valid only during the call. When it throws, the
    ///   remaining rows are read and dropped (the connection stays usable) and its error is
    ///   thrown.
    /// - Throws: the server's error (``PostgresError`` with its SQLSTATE) when the statement
    ///   fails, before or during the copy, exactly as the same query run otherwise would.
    public func copyOut(_ sql: String, onRow: (CopyTextRow) throws -> Void) throws {
        let connection = try open()
        guard let started = PQexec(connection, sql) else { throw PostgresError(message: Self.errorText(connection)) }
        let status = PQresultStatus(started)
        let columnCount = Int(PQnfields(started))
        let binary = PQbinaryTuples(started) == 1
        defer { PQclear(started) }
        guard status == PGRES_COPY_OUT else {
            // A failed statement has already ended, and so has one that was not a copy.
            if status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK {
                throw PostgresError(message: "copyOut needs a COPY … TO STDOUT statement")
            }
            throw Self.error(from: started, connection)
        }
        var failure: (any Error)? = binary ? PostgresError(message: "copyOut reads the text format only") : nil
        var row = CopyTextRow()
        while true {
            // Sync mode: blocks until a whole row is in; -1 is the end of the copy, -2 a failure.
            var buffer: UnsafeMutablePointer<CChar>?
            let length = PQgetCopyData(connection, &buffer, 0)
            guard length >= 0, let buffer else {
                if length == -2 { failure = failure ?? PostgresError(message: Self.errorText(connection)) }
                break
            }
            defer { PQfreemem(buffer) }
            guard failure == nil else { continue }
            do {
                try row.parse(UnsafeRawBufferPointer(start: buffer, count: Int(length)))
                guard row.count == columnCount else {
                    throw PostgresError(message: "COPY text row has \(row.count) columns, expected \(columnCount)")
                }
                try onRow(row)
            } catch {
                failure = error
            }
        }
        // The copy's own outcome: COMMAND_OK, or the error that ended it (a row the query
        // failed on, a cancelled statement).
        while let result = PQgetResult(connection) {
            defer { PQclear(result) }
            if PQresultStatus(result) != PGRES_COMMAND_OK { failure = failure ?? Self.error(from: result, connection) }
        }
        if let failure { throw failure }
    }

    /// `text` as a SQL string literal, quoted by libpq's `PQescapeLiteral` (`'…'` with quotes
    /// doubled; `E'…'` with backslashes doubled too, right under either setting of
    /// `standard_conforming_strings`): for statements that take no bind parameters (COPY).
    ///
    /// - Throws: for text holding a NUL byte, PostgreSQL's own error for it (SQLSTATE 22021):
    ///   `PQescapeLiteral` would stop there and quietly quote a shorter value.
    public func escapeLiteral(_ text: String) throws(PostgresError) -> String {
        let connection = try open()
        let length = text.utf8.count
        guard !text.utf8.contains(0) else {
            throw PostgresError(message: "invalid byte sequence for encoding \"UTF8\": 0x00", sqlState: "22021")
        }
        guard let quoted = text.withCString({ PQescapeLiteral(connection, $0, length) }) else {
            throw PostgresError(message: Self.errorText(connection))
        }
        defer { PQfreemem(quoted) }
        return String(cString: quoted)
    }
}
