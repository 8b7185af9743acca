import Foundation
import Postgres
import TestSupport
import Testing

/// Issue 7: a shape's meaning never changes across restarts, and one router runs per storage
/// directory.
@Suite(.enabled(if: TestDatabase.isAvailable, "needs PostgreSQL: run through scripts/test"), .timeLimit(.minutes(5)))
struct RouterRestartTests {
    /// router restarted while it cannot reach PostgreSQL (its catalog connections point at a
    /// closed port; ingest still streams): the shape keeps its filter, rebuilt from what is stored
    /// with it, so a row outside the filter never appears, and the same definition keeps its
    /// handle once the database is back.
    @Test func restartWithoutTheDatabaseKeepsTheFilterAndTheHandle() async throws {
        try await TestDatabase.withDatabase(label: "rdown") { database in
            let sql = try database.connect()
            try sql.execute("CREATE TABLE w1 (id int PRIMARY KEY, title text)")
            try sql.execute("INSERT INTO w1 VALUES (1, 'in'), (50, 'out')")
            try await TemporaryDirectory.with { directory in
                try await ConduitCluster.with(database: database, directory: directory) { cluster in
                    let follower = ShapeFollower(client: cluster.client, table: "w1", where: "id < 10")
                    try await follower.syncUntilUpToDate()
                    let handle = follower.handle
                    #expect(Set(follower.rows.keys) == ["\"public\".\"w1\"/\"1\""])

                    cluster.router.terminate()
                    #expect(await cluster.router.waitForExit(timeout: .seconds(20)) == 0)
                    let unreachable = "postgresql://conduit@127.0.0.1:\(try freeTCPPort())/nowhere?connect_timeout=2"
                    let blind = try cluster.relaunch("router", overriding: ["DATABASE_URL": unreachable])
                    try sql.execute("INSERT INTO w1 VALUES (99, 'outside the filter'), (5, 'inside')")
                    try await follower.syncUntil(timeout: .seconds(60)) { $0.rows["\"public\".\"w1\"/\"5\""] != nil }
                    #expect(follower.rows["\"public\".\"w1\"/\"99\""] == nil, "a restarted router never admits rows outside the filter")
                    #expect(follower.handle == handle && follower.refetchCount == 0)

                    blind.terminate()
                    #expect(await blind.waitForExit(timeout: .seconds(20)) == 0)
                    let router = try cluster.relaunch("router")
                    // A new client with the same definition gets the same shape.
                    let again = ShapeFollower(client: cluster.client, table: "w1", where: "id < 10")
                    try await again.syncUntilUpToDate()
                    #expect(again.handle == handle)
                    #expect(Set(again.rows.keys) == ["\"public\".\"w1\"/\"1\"", "\"public\".\"w1\"/\"5\""])
                    _ = await router.stop()
                }
            }
        }
    }

    @Test func aSecondRouterOnTheSameStorageIsRefused() async throws {
        try await TestDatabase.withDatabase(label: "rtwice") { database in
            try await TemporaryDirectory.with { directory in
                try await ConduitCluster.with(database: database, directory: directory) { cluster in
                    let second = try cluster.relaunch("router")
                    let status = await second.waitForExit(timeout: .seconds(20))
                    #expect(status == 1)
                    let lines = second.logContents.split(separator: "\n").filter { $0.contains("another router is already running") }
                    #expect(lines.count == 1 && lines[0].contains("router.lock"), "one line names the lock: \(second.logContents)")
                    #expect(cluster.router.isRunning)
                }
            }
        }
    }
}
