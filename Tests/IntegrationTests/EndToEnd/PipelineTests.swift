import Foundation
import Postgres
import TestSupport
import Testing

/// The whole pipeline — PostgreSQL, ingest, router, serve — driven over real HTTP.
@Suite(.enabled(if: TestDatabase.isAvailable, "needs PostgreSQL: run through scripts/test"), .timeLimit(.minutes(5)))
struct PipelineTests {
    /// The table's contents as a follower should hold them: key → column → text.
    static func tableContents(_ connection: PostgresConnection, table: String = "items") throws -> [String: [String: String?]] {
        let result = try connection.execute("SELECT id::text, title FROM \(table)")
        var rows: [String: [String: String?]] = [:]
        for row in result.rows {
            rows["\"public\".\"\(table)\"/\"\(row[0]!)\""] = ["id": row[0], "title": row[1]]
        }
        return rows
    }

    @Test func clientEndsWithExactlyTheTableContents() async throws {
        try await TestDatabase.withDatabase(label: "sync") { database in
            let sql = try database.connect()
            try sql.execute("CREATE TABLE items (id int PRIMARY KEY, title text)")
            try sql.execute("INSERT INTO items SELECT g, 'row ' || g FROM generate_series(1, 50) g")
            try await TemporaryDirectory.with { directory in
                try await ConduitCluster.with(database: database, directory: directory) { cluster in
                    let follower = ShapeFollower(client: cluster.client, table: "items")
                    try await follower.syncUntilUpToDate()
                    #expect(follower.rows == (try Self.tableContents(sql)))
                    #expect(follower.controls.contains { $0["control"]?.stringValue == "snapshot-end" })

                    try sql.execute("INSERT INTO items VALUES (100, 'new')")
                    try sql.execute("UPDATE items SET title = 'changed' WHERE id = 2")
                    try sql.execute("DELETE FROM items WHERE id = 3")
                    try sql.execute("BEGIN; UPDATE items SET id = 1000 WHERE id = 4; INSERT INTO items VALUES (101, NULL); COMMIT")
                    try sql.execute("INSERT INTO items SELECT g, repeat('x', g % 50) FROM generate_series(10000, 30000) g")
                    try sql.execute("UPDATE items SET title = 'bulk' WHERE id % 7 = 0")
                    let expected = try Self.tableContents(sql)
                    try await follower.syncUntil(timeout: .seconds(120)) { $0.rows == expected }

                    let live = follower.changes.filter { $0.lsn != nil }
                    #expect(live.contains { $0.headers["key_change_to"] != nil })
                    #expect(live.contains { $0.isLast })
                }
            }
        }
    }

    @Test func unknownTableIsA400NamingIt() async throws {
        try await TestDatabase.withDatabase(label: "bad") { database in
            try await TemporaryDirectory.with { directory in
                try await ConduitCluster.with(database: database, directory: directory) { cluster in
                    let response = try await cluster.client.get("/v1/shape?table=nonexistent&offset=-1")
                    #expect(response.status == 400)
                    let body = try response.json() as? [String: Any]
                    let errors = body?["errors"] as? [String: [String]]
                    #expect(errors?["table"]?.first?.contains("\"public\".\"nonexistent\" does not exist") == true)
                }
            }
        }
    }

    /// Rows written while the snapshot is being taken must reach the client exactly once: either
    /// in the snapshot or as a change, never both and never neither.
    @Test func writesDuringTheSnapshotAppearExactlyOnce() async throws {
        try await TestDatabase.withDatabase(label: "race") { database in
            let sql = try database.connect()
            try sql.execute("CREATE TABLE items (id int PRIMARY KEY, title text)")
            try sql.execute("INSERT INTO items SELECT g, 'seed' FROM generate_series(1, 20000) g")
            try await TemporaryDirectory.with { directory in
                try await ConduitCluster.with(database: database, directory: directory) { cluster in
                    let url = database.url
                    let writer = Task {
                        try await offThePool {  // blocking libpq calls must not hold the shared cooperative pool
                            let connection = try PostgresConnection(conninfo: url)
                            for round in 0..<300 {
                                try connection.execute(
                                    "BEGIN; INSERT INTO items VALUES (\(100_000 + round), 'w'); UPDATE items SET title = 'u\(round)' WHERE id = \(round + 1); COMMIT"
                                )
                            }
                        }
                    }
                    let follower = ShapeFollower(client: cluster.client, table: "items")
                    try await follower.syncUntilUpToDate()
                    try await writer.value
                    let expected = try Self.tableContents(sql)
                    try await follower.syncUntil(timeout: .seconds(120)) { $0.rows == expected }
                    var present = Set<String>()
                    for change in follower.changes {
                        switch change.operation {
                        case "insert":
                            #expect(!present.contains(change.key), "duplicate insert of \(change.key)")
                            present.insert(change.key)
                        case "delete":
                            present.remove(change.key)
                        default:
                            #expect(present.contains(change.key), "update of absent \(change.key)")
                        }
                    }
                }
            }
        }
    }
}
