import Foundation
import Postgres
import TestSupport
import Testing

/// Killing router with SIGKILL mid-load: on restart it truncates shape logs to their committed
/// state and replays the spool from its checkpoint, so clients keep their handle and end with
/// exactly the table's contents, every change once.
@Suite(.enabled(if: TestDatabase.isAvailable, "needs PostgreSQL: run through scripts/test"), .timeLimit(.minutes(5)))
struct RouterCrashTests {
    @Test func routerRecoversWithoutLosingOrDoublingChanges() async throws {
        try await TestDatabase.withDatabase(label: "rkill") { database in
            let sql = try database.connect()
            try sql.execute("CREATE TABLE items (id int PRIMARY KEY, title text)")
            try sql.execute("INSERT INTO items SELECT g, 'seed' FROM generate_series(1, 100) g")
            try await TemporaryDirectory.with { directory in
                try await ConduitCluster.with(database: database, directory: directory) { cluster in
                    let follower = ShapeFollower(client: cluster.client, table: "items")
                    try await follower.syncUntilUpToDate()
                    let handle = follower.handle

                    let writer = Self.startLoad(url: database.url)
                    try await Task.sleep(for: .milliseconds(800))
                    cluster.router.kill()
                    _ = await cluster.router.waitForExit(timeout: .seconds(10))
                    let router = try cluster.relaunch("router")
                    try await writer.value
                    try await Self.expectExactContentsOnce(follower: follower, sql: sql, handle: handle)
                    _ = await router.stop()
                }
            }
        }
    }

    /// 1,500 transactions, each inserting a row and updating one of the 100 seeded ones.
    static func startLoad(url: String) -> Task<Void, any Error> {
        Task {
            try await offThePool {  // blocking libpq calls must not hold the shared cooperative pool
                let connection = try PostgresConnection(conninfo: url)
                for round in 1...1500 {
                    try connection.execute(
                        "BEGIN; INSERT INTO items VALUES (\(1000 + round), 'n'); UPDATE items SET title = 'r\(round)' WHERE id = \(round % 100 + 1); COMMIT"
                    )
                }
            }
        }
    }

    /// The follower ends with exactly the table, under its original handle, without a refetch,
    /// and saw no change twice.
    static func expectExactContentsOnce(follower: ShapeFollower, sql: PostgresConnection, handle: String?) async throws {
        let expected = try PipelineTests.tableContents(sql)
        try await follower.syncUntil(timeout: .seconds(120)) { $0.rows == expected }
        #expect(follower.handle == handle, "the shape survives a router crash")
        #expect(follower.refetchCount == 0)
        var lastOffset: (Int64, Int64) = (0, -1)
        for change in follower.changes {
            guard let lsn = change.lsn.flatMap(Int64.init), let op = change.opPosition else { continue }
            #expect((lsn, op) > lastOffset, "offsets strictly increase: no change twice")
            lastOffset = (lsn, op)
        }
    }
}
