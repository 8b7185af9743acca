import Foundation
import Postgres
import TestSupport
import Testing

/// `where`, `params`, `columns` and `replica` through the whole pipeline.
@Suite(.enabled(if: TestDatabase.isAvailable, "needs PostgreSQL: run through scripts/test"), .timeLimit(.minutes(5)))
struct ShapeDefinitionTests {
    static let setup = """
        CREATE TABLE todos (id int PRIMARY KEY, owner int, status text, priority int, "has,comma" text, "has""quote" text);
        INSERT INTO todos SELECT g, g % 5, CASE WHEN g % 2 = 0 THEN 'todo' ELSE 'done' END, g % 7, 'c' || g, 'q' || g
        FROM generate_series(1, 200) g;
        """

    /// What a follower of `columns` should hold for rows matching `condition`.
    static func expected(_ sql: PostgresConnection, condition: String) throws -> [String: [String: String?]] {
        let result = try sql.execute(#"SELECT id::text, status, "has,comma", "has""quote" FROM todos WHERE "# + condition)
        var rows: [String: [String: String?]] = [:]
        for row in result.rows {
            rows["\"public\".\"todos\"/\"\(row[0]!)\""] = ["id": row[0], "status": row[1], "has,comma": row[2], "has\"quote": row[3]]
        }
        return rows
    }

    @Test func filteredProjectedShapeFollowsRowsInAndOut() async throws {
        try await TestDatabase.withDatabase(label: "where") { database in
            let sql = try database.connect()
            try sql.execute(Self.setup)
            try await TemporaryDirectory.with { directory in
                try await ConduitCluster.with(database: database, directory: directory) { cluster in
                    let follower = ShapeFollower(
                        client: cluster.client, table: "todos", where: "status = $1 AND priority > 3",
                        columns: #"id,status,"has,comma","has""quote""#, params: ["todo"])
                    try await follower.syncUntilUpToDate()
                    let condition = "status = 'todo' AND priority > 3"
                    #expect(follower.rows == (try Self.expected(sql, condition: condition)))

                    try sql.execute("UPDATE todos SET priority = 6 WHERE id = 2")  // moves in
                    try sql.execute("UPDATE todos SET status = 'done' WHERE id = 4")  // moves out
                    try sql.execute("UPDATE todos SET owner = 99 WHERE id = 6")  // unselected column: nothing
                    try sql.execute("INSERT INTO todos VALUES (1000, 1, 'todo', 5, 'x', 'y'), (1001, 1, 'todo', 1, 'x', 'y')")
                    try sql.execute("DELETE FROM todos WHERE id = 12")
                    let expected = try Self.expected(sql, condition: condition)
                    try await follower.syncUntil { $0.rows == expected }
                    let live = follower.changes.filter { $0.lsn != nil }
                    #expect(live.contains { $0.operation == "insert" && $0.key.hasSuffix("/\"2\"") })
                    #expect(live.contains { $0.operation == "delete" && $0.key.hasSuffix("/\"4\"") })
                    #expect(!live.contains { $0.key.hasSuffix("/\"6\"") })
                    #expect(!live.contains { $0.key.hasSuffix("/\"1001\"") })
                    for change in live { #expect(change.value["owner"] == nil) }
                }
            }
        }
    }

    @Test func replicaFullCarriesWholeRowsAndOldValues() async throws {
        try await TestDatabase.withDatabase(label: "full") { database in
            let sql = try database.connect()
            try sql.execute(Self.setup)
            try await TemporaryDirectory.with { directory in
                try await ConduitCluster.with(database: database, directory: directory) { cluster in
                    let full = ShapeFollower(
                        client: cluster.client, table: "todos", where: "owner = 3", extraParameters: [("replica", "full")])
                    let plain = ShapeFollower(client: cluster.client, table: "todos", where: "owner = 3")
                    try await full.syncUntilUpToDate()
                    try await plain.syncUntilUpToDate()
                    #expect(full.handle != plain.handle)
                    try sql.execute("UPDATE todos SET priority = 100 WHERE id = 3")
                    try await full.syncUntil { $0.changes.contains { $0.operation == "update" } }
                    try await plain.syncUntil { $0.changes.contains { $0.operation == "update" } }
                    let fullUpdate = full.changes.first { $0.operation == "update" }!
                    let plainUpdate = plain.changes.first { $0.operation == "update" }!
                    #expect(fullUpdate.value["status"] != nil)
                    #expect(fullUpdate.oldValue == ["priority": "3"])
                    #expect(plainUpdate.value == ["id": "3", "priority": "100"])
                }
            }
        }
    }

    @Test func invalidDefinitionsAre400s() async throws {
        try await TestDatabase.withDatabase(label: "bad") { database in
            let sql = try database.connect()
            try sql.execute(Self.setup)
            try await TemporaryDirectory.with { directory in
                try await ConduitCluster.with(database: database, directory: directory) { cluster in
                    let cases: [(query: String, field: String, fragment: String)] = [
                        ("where=nope%20%3D%201", "where", "unknown reference nope"),
                        ("where=status%20%3E%201", "where", "operator does not exist"),
                        ("where=id%20%3D%20%241", "where", "parameter $1 was not provided"),
                        ("columns=status", "columns", "missing: id"),
                        ("columns=id,ghost", "columns", "not found on the table: ghost"),
                        ("replica=sometimes", "replica", "is invalid"),
                    ]
                    for (query, field, fragment) in cases {
                        let response = try await cluster.client.get("/v1/shape?table=todos&offset=-1&\(query)")
                        #expect(response.status == 400, "\(query): \(response)")
                        let errors = (try? response.json() as? [String: Any])?["errors"] as? [String: [String]]
                        #expect(errors?[field]?.first?.contains(fragment) == true, "\(query): \(response.text)")
                    }
                }
            }
        }
    }
}

/// A table dropped and created again under the same name is a new relation: clients of the old
/// shape get 409 and resync the new table's rows.
@Suite(.enabled(if: TestDatabase.isAvailable, "needs PostgreSQL: run through scripts/test"), .timeLimit(.minutes(3)))
struct TableRecreationTests {
    @Test func droppedAndRecreatedTableForcesARefetch() async throws {
        try await TestDatabase.withDatabase(label: "drop") { database in
            let sql = try database.connect()
            try sql.execute("CREATE TABLE items (id int PRIMARY KEY, title text); INSERT INTO items VALUES (1, 'old')")
            try await TemporaryDirectory.with { directory in
                try await ConduitCluster.with(
                    database: database, directory: directory, environment: ["CONDUIT_TABLE_CHECK_SECONDS": "1"]
                ) { cluster in
                    let follower = ShapeFollower(client: cluster.client, table: "items")
                    try await follower.syncUntilUpToDate()
                    let oldHandle = follower.handle
                    try sql.execute(
                        "DROP TABLE items; CREATE TABLE items (id int PRIMARY KEY, title text); INSERT INTO items VALUES (2, 'new')")
                    let expected = try PipelineTests.tableContents(sql)
                    try await follower.syncUntil(timeout: .seconds(60)) { $0.rows == expected }
                    #expect(follower.handle != oldHandle)
                    #expect(follower.refetchCount >= 1)
                }
            }
        }
    }
}

/// A table that already has REPLICA IDENTITY FULL is only checked, in the snapshot's own round
/// trip, for being in the publication; one that is not (never published, or removed by hand)
/// is added before its snapshot, so its changes reach the shape.
@Suite(.enabled(if: TestDatabase.isAvailable, "needs PostgreSQL: run through scripts/test"), .timeLimit(.minutes(3)))
struct PublicationMembershipTests {
    @Test func aTableWithFullIdentityOutsideThePublicationIsAddedBeforeItsSnapshot() async throws {
        try await ItemsCluster.with(label: "pubcheck", seed: "ALTER TABLE items REPLICA IDENTITY FULL; INSERT INTO items VALUES (1, 'a')") {
            cluster, sql, _ in
            let publication = "conduit_pub_\(cluster.streamID)"
            let member = "SELECT count(*)::text FROM pg_publication_tables WHERE pubname = '\(publication)' AND tablename = 'items'"
            #expect(try sql.execute(member).rows.first?.first == "0")
            let first = ShapeFollower(client: cluster.client, table: "items", where: "id < 100")
            try await first.syncUntilUpToDate()
            #expect(try sql.execute(member).rows.first?.first == "1")
            try sql.execute("INSERT INTO items VALUES (2, 'b')")
            try await first.syncUntil { $0.rows.count == 2 }

            // Removed by hand: the next new shape of the table puts it back.
            try sql.execute("ALTER PUBLICATION \(publication) DROP TABLE items")
            let second = ShapeFollower(client: cluster.client, table: "items", where: "id < 200")
            try await second.syncUntilUpToDate()
            #expect(try sql.execute(member).rows.first?.first == "1")
            try sql.execute("INSERT INTO items VALUES (3, 'c')")
            let expected = try PipelineTests.tableContents(sql)
            try await second.syncUntil { $0.rows == expected }
        }
    }
}

/// `electric-schema` (protocol.md §5.3) from the catalog, in one query: key order, type
/// modifiers, arrays, enums, NOT NULL; generated and dropped columns are not selected.
@Suite(.enabled(if: TestDatabase.isAvailable, "needs PostgreSQL: run through scripts/test"), .timeLimit(.minutes(3)))
struct CatalogSchemaTests {
    @Test func theSchemaHeaderDescribesEachSelectedColumn() async throws {
        try await TestDatabase.withDatabase(label: "schema") { database in
            let sql = try database.connect()
            try sql.execute(
                """
                CREATE TYPE mood AS ENUM ('sad', 'ok');
                CREATE TABLE typed (b int, a text, dropped int, v varchar(20) NOT NULL, n numeric(10,2), arr int[],
                  m mood, ts timestamptz(3), g int GENERATED ALWAYS AS (b * 2) STORED, PRIMARY KEY (a, b));
                ALTER TABLE typed DROP COLUMN dropped;
                INSERT INTO typed (b, a, v) VALUES (1, 'x', 'y');
                """)
            try await TemporaryDirectory.with { directory in
                try await ConduitCluster.with(database: database, directory: directory) { cluster in
                    var response = try await cluster.client.shape([("table", "typed"), ("offset", "-1")])
                    for _ in 0..<50 where response.status == 503 {
                        try await Task.sleep(for: .milliseconds(200))
                        response = try await cluster.client.shape([("table", "typed"), ("offset", "-1")])
                    }
                    #expect(response.status == 200, "\(response)")
                    let header = try #require(response.headers["electric-schema"])
                    let schema = try #require(try JSONSerialization.jsonObject(with: Data(header.utf8)) as? NSDictionary)
                    let expected: NSDictionary = [
                        "b": ["type": "int4", "pk_index": 1, "not_null": true],
                        "a": ["type": "text", "pk_index": 0, "not_null": true],
                        "v": ["type": "varchar", "not_null": true, "max_length": 20],
                        "n": ["type": "numeric", "precision": 10, "scale": 2],
                        "arr": ["type": "int4", "dims": 1],
                        "m": ["type": "mood"],
                        "ts": ["type": "timestamptz", "precision": 3],
                    ]
                    #expect(schema == expected, "\(header)")
                    let keys = try #require(try response.jsonValue.arrayValue).compactMap { $0["key"]?.stringValue }
                    #expect(keys == [#""public"."typed"/"x"/"1""#])
                }
            }
        }
    }
}
