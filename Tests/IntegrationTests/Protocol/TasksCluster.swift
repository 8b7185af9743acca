import Foundation
import Postgres
import TestSupport

/// The set-up of the protocol conformance tests: a fresh database with
/// `tasks (id int PRIMARY KEY, title text, priority int, status text)` holding rows 1…`rows`
/// (`status` alternates `open`/`done`, `priority` is `id % 5`), and a cluster over it.
enum TasksCluster {
    static func with(
        label: String,
        rows: Int = 10,
        environment: [String: String] = [:],
        _ body: (ConduitCluster, PostgresConnection, TemporaryDirectory) async throws -> Void
    ) async throws {
        try await TestDatabase.withDatabase(label: label) { database in
            let sql = try database.connect()
            try sql.execute(
                """
                CREATE TABLE tasks (id int PRIMARY KEY, title text, priority int, status text);
                INSERT INTO tasks SELECT g, 'task ' || g, g % 5, CASE WHEN g % 2 = 0 THEN 'open' ELSE 'done' END
                FROM generate_series(1, \(rows)) g;
                """)
            try await TemporaryDirectory.with { directory in
                try await ConduitCluster.with(database: database, directory: directory, environment: environment) { cluster in
                    try await body(cluster, sql, directory)
                }
            }
        }
    }
}

extension HTTPClient {
    /// GET `/v1/shape` with `parameters` (percent-encoded).
    func shape(_ parameters: [(String, String)], headers: [String: String] = [:]) async throws -> HTTPResponse {
        try await get("/v1/shape" + HTTPClient.query(parameters), headers: headers)
    }
}

extension HTTPResponse {
    /// The body parsed as a ``JSONValue``.
    var jsonValue: JSONValue {
        get throws { try JSONValue.parse(body) }
    }
}
