import Postgres
import TestSupport

/// The set-up most end-to-end tests share: a fresh database with a table
/// `items (id int PRIMARY KEY, title text)`, `seed` run on it, and a cluster over it.
///
/// ```swift
/// try await ItemsCluster.with(label: "demo", seed: "INSERT INTO items VALUES (1, 'a')") { cluster, sql, _ in
///     try sql.execute("INSERT INTO items VALUES (2, 'b')")
/// }
/// ```
enum ItemsCluster {
    static func with(
        label: String,
        seed: String,
        environment: [String: String] = [:],
        _ body: (ConduitCluster, PostgresConnection, TemporaryDirectory) async throws -> Void
    ) async throws {
        try await TestDatabase.withDatabase(label: label) { database in
            let sql = try database.connect()
            try sql.execute("CREATE TABLE items (id int PRIMARY KEY, title text)")
            try sql.execute(seed)
            try await TemporaryDirectory.with { directory in
                try await ConduitCluster.with(database: database, directory: directory, environment: environment) { cluster in
                    try await body(cluster, sql, directory)
                }
            }
        }
    }
}
