import Foundation
import Postgres
import TestSupport

/// A uniquely named database on the test server, owned by one test.
///
/// The server comes from the standard libpq variables (`PGHOST`, `PGPORT`, `PGUSER`), which
/// `scripts/test` exports for its throwaway cluster; without `PGHOST` integration tests are
/// skipped (`.enabled(if: TestDatabase.isAvailable)`). Tests run in parallel against one server,
/// so every test gets its own database, and anything cluster-wide it creates (replication slots)
/// must carry a unique name too; ``drop()`` removes the database's slots.
///
/// ```swift
/// @Test(.enabled(if: TestDatabase.isAvailable))
/// func example() async throws {
///     try await TestDatabase.withDatabase { database in
///         let connection = try database.connect()
///         try connection.execute("CREATE TABLE items (id int PRIMARY KEY, title text)")
///     }
/// }
/// ```
struct TestDatabase: Sendable, CustomStringConvertible {
    /// The database name: `conduit_test_<label>_<random>`, at most 63 bytes.
    let name: String
    /// A libpq URI for this database (Unix socket form when `PGHOST` is a directory), suitable
    /// for `DATABASE_URL`.
    let url: String

    /// True when a test server is configured (`PGHOST` is set).
    static var isAvailable: Bool {
        guard let host = ProcessInfo.processInfo.environment["PGHOST"] else { return false }
        return !host.isEmpty
    }

    /// Creates a new, empty database with a unique name.
    ///
    /// - Parameter label: a few characters that make the name recognisable in the server log
    ///   (lower-cased; anything but `[a-z0-9]` becomes `_`).
    static func create(label: String = "") throws -> TestDatabase {
        guard isAvailable else { throw SupportError("PGHOST is not set: run the integration tests through scripts/test") }
        let name = uniqueName(label: label)
        let admin = try PostgresConnection(conninfo: Self.url(database: "postgres"))
        // template0: nobody is ever connected to it, so parallel CREATE DATABASE never fails with
        // "source database is being accessed by other users".
        try admin.execute("CREATE DATABASE \(PostgresConnection.quoteIdentifier(name)) TEMPLATE template0")
        return TestDatabase(name: name, url: Self.url(database: name))
    }

    /// Runs `body` with a fresh database and drops it afterwards, also when `body` throws.
    static func withDatabase<Result>(
        label: String = "",
        _ body: (TestDatabase) async throws -> Result
    ) async throws -> Result {
        // Creating and dropping block on libpq (dropping retries for up to 30 s): on a thread of
        // their own, not on the cooperative pool every test shares.
        let database = try await offThePool { try create(label: label) }
        do {
            let result = try await body(database)
            try await offThePool { try database.drop() }
            return result
        } catch {
            _ = try? await offThePool { try database.drop() }
            throw error
        }
    }

    /// Opens a new connection to this database.
    func connect() throws -> PostgresConnection {
        try PostgresConnection(conninfo: url)
    }

    /// Drops the database together with its replication slots.
    ///
    /// Slots are cluster-wide objects that merely point at a database, and `DROP DATABASE` refuses
    /// while any exists, so they go first: walsenders still streaming from them are terminated,
    /// then each slot is dropped (retried while a terminated walsender is still exiting).
    /// Publications, tables and everything else inside the database go with `DROP DATABASE`;
    /// `WITH (FORCE)` disconnects remaining sessions (for example a still-running `router`).
    func drop() throws {
        let admin = try PostgresConnection(conninfo: Self.url(database: "postgres"))
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            try admin.execute(
                """
                SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots
                WHERE database = $1 AND active_pid IS NOT NULL
                """,
                parameters: [name]
            )
            do {
                try admin.execute(
                    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = $1",
                    parameters: [name]
                )
                try admin.execute("DROP DATABASE IF EXISTS \(PostgresConnection.quoteIdentifier(name)) WITH (FORCE)")
                return
            } catch {
                // 55006 object_in_use: a terminated walsender has not released its slot yet.
                guard error.sqlState == "55006", ContinuousClock.now < deadline else { throw error }
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
    }

    /// Names of the replication slots that belong to this database.
    func replicationSlots() throws -> [String] {
        let admin = try PostgresConnection(conninfo: Self.url(database: "postgres"))
        let result = try admin.execute(
            "SELECT slot_name FROM pg_replication_slots WHERE database = $1 ORDER BY slot_name",
            parameters: [name]
        )
        return result.rows.compactMap { $0.first ?? nil }
    }

    var description: String { name }

    // MARK: - Names and URLs

    /// `conduit_test_<label>_<16 hex>`, truncated so it fits PostgreSQL's 63-byte identifiers.
    static func uniqueName(label: String) -> String {
        let cleaned = String(
            label.lowercased().unicodeScalars.map { scalar -> Character in
                ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) ? Character(scalar) : "_"
            }
        )
        let random = String(UInt64.random(in: .min ... .max), radix: 16)
        let suffix = String(repeating: "0", count: 16 - random.count) + random
        let room = 63 - "conduit_test_".count - suffix.count - 1
        let prefix = cleaned.isEmpty ? "" : String(cleaned.prefix(room)) + "_"
        return "conduit_test_" + prefix + suffix
    }

    /// A libpq URI for `database` on the server named by `PGHOST`/`PGPORT`/`PGUSER`.
    ///
    /// The host goes in the query (`postgresql:///db?host=/socket/dir&port=…&user=…`), which
    /// works for both a socket directory and a host name.
    static func url(database: String) -> String {
        let environment = ProcessInfo.processInfo.environment
        var parameters: [(String, String)] = []
        if let host = environment["PGHOST"], !host.isEmpty { parameters.append(("host", host)) }
        if let port = environment["PGPORT"], !port.isEmpty { parameters.append(("port", port)) }
        parameters.append(("user", environment["PGUSER"].flatMap { $0.isEmpty ? nil : $0 } ?? "postgres"))
        let query = parameters.map { "\($0)=\(percentEncode($1))" }.joined(separator: "&")
        return "postgresql:///\(percentEncode(database))?\(query)"
    }

    /// Percent-encodes everything but RFC 3986 unreserved characters and `/` (kept readable in
    /// socket paths; libpq accepts it in query values).
    static func percentEncode(_ value: String) -> String {
        var allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
        allowed.insert("/")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}
