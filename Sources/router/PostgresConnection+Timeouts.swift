import Postgres

extension PostgresConnection {
    /// Opens a connection for catalog queries and DDL: router's connect timeout, and statement
    /// and lock timeouts so that no query can hold a worker for long.
    static func open(_ url: String, timeouts: DatabaseTimeouts) throws(PostgresError) -> PostgresConnection {
        let connection = try PostgresConnection(conninfo: url, connectTimeoutSeconds: timeouts.connectSeconds)
        try connection.execute(
            "SET statement_timeout = \(timeouts.statementMilliseconds); SET lock_timeout = \(timeouts.lockMilliseconds)")
        return connection
    }
}
