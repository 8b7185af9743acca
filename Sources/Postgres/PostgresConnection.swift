import CLibPQ
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An owned libpq connection for ordinary SQL (catalog queries, snapshots, DDL).
///
/// - Important: libpq forbids using one `PGconn` from two threads at once. This class is
///   deliberately not `Sendable`: it is created, used and dropped by one owner. The connection is
///   closed in `deinit` or by ``close()``.
public final class PostgresConnection {
    private var connection: OpaquePointer?
    /// The statements ``execute(prepared:_:parameters:)`` prepared on this connection: name → SQL.
    private var prepared: [String: String] = [:]

    /// Connects with a libpq connection string or `postgres://` URI. An empty string uses the
    /// standard `PG*` environment variables.
    ///
    /// - Parameter connectTimeoutSeconds: when set, overrides any `connect_timeout` in
    ///   `conninfo`, so a database that does not answer fails this call instead of blocking it.
    public init(conninfo: String, connectTimeoutSeconds: Int? = nil) throws(PostgresError) {
        var keywords = ["dbname"]
        var values = [conninfo]
        if let connectTimeoutSeconds {
            keywords.append("connect_timeout")
            values.append(String(max(connectTimeoutSeconds, 2)))
        }
        let connection = Self.withCStrings(keywords.map { Optional($0) } + [nil]) { keywordPointers in
            Self.withCStrings(values.map { Optional($0) } + [nil]) { valuePointers in
                // expand_dbname = 1: the first dbname is parsed as a connection string or URI;
                // later keywords override what it says.
                PQconnectdbParams(keywordPointers, valuePointers, 1)
            }
        }
        guard let connection else { throw PostgresError(message: "libpq could not allocate a connection") }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = PostgresConnection.errorText(connection)
            PQfinish(connection)
            throw PostgresError(message: "could not connect to PostgreSQL: \(message)")
        }
        self.connection = connection
    }

    deinit { close() }

    /// Closes the connection; later calls throw.
    public func close() {
        if let connection { PQfinish(connection) }
        connection = nil
    }

    /// Runs one or more statements with the simple query protocol (no parameters) and returns
    /// the last result.
    @discardableResult
    public func execute(_ sql: String) throws(PostgresError) -> PostgresResult {
        let connection = try open()
        guard let result = PQexec(connection, sql) else { throw PostgresError(message: Self.errorText(connection)) }
        defer { PQclear(result) }
        try Self.check(result, connection)
        return PostgresResult(copying: result)
    }

    /// Runs one statement with `$1…$n` bound to `parameters` (text format; nil is NULL).
    /// Values never become part of the SQL text.
    @discardableResult
    public func execute(_ sql: String, parameters: [String?]) throws(PostgresError) -> PostgresResult {
        let connection = try open()
        let result = Self.withCStrings(parameters) { pointers in
            PQexecParams(connection, sql, Int32(pointers.count), nil, pointers, nil, nil, 0)
        }
        guard let result else { throw PostgresError(message: Self.errorText(connection)) }
        defer { PQclear(result) }
        try Self.check(result, connection)
        return PostgresResult(copying: result)
    }

    /// Runs `sql` like ``execute(_:parameters:)``, as the statement `name`, prepared on this
    /// connection the first time: PostgreSQL parses and plans it once instead of at every call.
    /// For a query run once per request on a kept connection (router's catalog query: its
    /// planning was about three quarters of its cost). Needs a session of its own (not a
    /// transaction-pooling proxy, which would run the execution on another server connection).
    /// - Precondition: `name` always comes with the same `sql`.
    @discardableResult
    public func execute(prepared name: String, _ sql: String, parameters: [String?]) throws(PostgresError) -> PostgresResult {
        let connection = try open()
        if let known = prepared[name] {
            precondition(known == sql, "prepared statement \(name) reused for another query")
        } else {
            guard let result = PQprepare(connection, name, sql, Int32(parameters.count), nil) else {
                throw PostgresError(message: Self.errorText(connection))
            }
            defer { PQclear(result) }
            try Self.check(result, connection)
            prepared[name] = sql
        }
        let result = Self.withCStrings(parameters) { pointers in
            PQexecPrepared(connection, name, Int32(pointers.count), pointers, nil, nil, 0)
        }
        guard let result else { throw PostgresError(message: Self.errorText(connection)) }
        defer { PQclear(result) }
        try Self.check(result, connection)
        return PostgresResult(copying: result)
    }

    /// Streams the rows of one query in single-row mode, so that a table of any size is never
    /// held in memory. `onRow` receives the column names' count-aligned text values.
    /// - Returns: the column names.
    @discardableResult
    public func query(
        _ sql: String,
        parameters: [String?] = [],
        onRow: ([String?]) throws -> Void
    ) throws -> [String] {
        try queryRows(sql, parameters: parameters) { row in try onRow(row.values) }
    }

    /// Streams the rows of one query in single-row mode, each read in place (``PostgresRow``):
    /// for large results, where copying every value out would cost more than the query.
    /// - Returns: the column names.
    @discardableResult
    public func queryRows(
        _ sql: String,
        parameters: [String?] = [],
        onRow: (PostgresRow) throws -> Void
    ) throws -> [String] {
        let connection = try open()
        let sent = Self.withCStrings(parameters) { pointers in
            PQsendQueryParams(connection, sql, Int32(pointers.count), nil, pointers, nil, nil, 0)
        }
        guard sent == 1 else { throw PostgresError(message: Self.errorText(connection)) }
        PQsetSingleRowMode(connection)
        var columnNames: [String] = []
        var failure: (any Error)?
        while let result = PQgetResult(connection) {
            defer { PQclear(result) }
            let status = PQresultStatus(result)
            if status == PGRES_SINGLE_TUPLE {
                let count = Int(PQnfields(result))
                if columnNames.isEmpty {
                    columnNames = (0..<count).map { String(cString: PQfname(result, Int32($0))) }
                }
                if failure == nil {
                    do { try onRow(PostgresRow(result, count: count)) } catch { failure = error }
                }
            } else if status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK {
                failure = failure ?? Self.error(from: result, connection)
            }
        }
        if let failure { throw failure }
        return columnNames
    }

    /// Quotes an identifier for SQL text (`"a""b"`). Use for names from the catalog only.
    public static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    func open() throws(PostgresError) -> OpaquePointer {
        guard let connection else { throw PostgresError(message: "connection is closed") }
        return connection
    }

    /// Throws the server's error unless `result` succeeded (command, rows or COPY BOTH).
    public static func check(_ result: OpaquePointer, _ connection: OpaquePointer) throws(PostgresError) {
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_COPY_BOTH else {
            throw error(from: result, connection)
        }
    }

    /// The error `result` carries (message and SQLSTATE), falling back to the connection's.
    public static func error(from result: OpaquePointer, _ connection: OpaquePointer) -> PostgresError {
        var message = String(cString: PQresultErrorMessage(result))
        if message.isEmpty { message = errorText(connection) }
        let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
        return PostgresError(message: trimmed(message), sqlState: state)
    }

    static func errorText(_ connection: OpaquePointer) -> String {
        trimmed(String(cString: PQerrorMessage(connection)))
    }

    /// libpq's messages end in a newline; log lines and errors want them without.
    public static func trimmed(_ text: String) -> String {
        var text = Substring(text)
        while let last = text.last, last.isWhitespace { text = text.dropLast() }
        return String(text)
    }

    /// Calls `body` with a C array of `strdup`ed strings (NULL for nil), freed afterwards.
    public static func withCStrings<R>(_ values: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
        let owned: [UnsafeMutablePointer<CChar>?] = values.map { $0.map { strdup($0) } }
        defer { owned.forEach { free($0) } }
        return body(owned.map { $0.map { UnsafePointer($0) } })
    }
}
