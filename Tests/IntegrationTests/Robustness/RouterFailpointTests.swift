import Foundation
import Postgres
import TestSupport
import Testing

/// router killed exactly at each of its failpoints in the middle of a load: on restart it
/// truncates shape logs to their committed state and replays the spool from its checkpoint, so
/// clients keep their handle and end with exactly the table's contents, every change once.
@Suite(.enabled(if: TestDatabase.isAvailable, "needs PostgreSQL: run through scripts/test"), .timeLimit(.minutes(5)))
struct RouterFailpointTests {
    /// Each of these points is passed once per group commit. Router paces commits that cost 5 ms
    /// or more while WAL keeps arriving (`CommitPacing`: one per 50 ms at the least), and on a
    /// slow disk one shape's flushes cost that much, so a 1,500-transaction load may see only a
    /// dozen or so commits: the 5th is still well inside the load.
    ///
    /// With two shapes of the table, each commit after the shapes' first one goes through the
    /// commit journal (`after-append` is then right after the journal's flush): the restarted
    /// router recovers the journal before it loads the shapes.
    @Test(arguments: ["router.after-append@5", "router.after-state@5", "router.after-checkpoint@5"], [1, 2])
    func nothingIsLostOrDoubledAfterACrashAt(_ failpoint: String, shapes: Int) async throws {
        let name = String(failpoint.split(separator: "@")[0])
        try await TestDatabase.withDatabase(label: "rfp") { database in
            let sql = try database.connect()
            try sql.execute("CREATE TABLE items (id int PRIMARY KEY, title text)")
            try sql.execute("INSERT INTO items SELECT g, 'seed' FROM generate_series(1, 100) g")
            try await TemporaryDirectory.with { directory in
                try await ConduitCluster.with(database: database, directory: directory, environment: ["CONDUIT_FAILPOINTS": failpoint]) {
                    cluster in
                    let followers = Self.followers(cluster.client).prefix(shapes)
                    for follower in followers { try await follower.syncUntilUpToDate() }
                    let handles = followers.map(\.handle)
                    let writer = RouterCrashTests.startLoad(url: database.url)
                    let status = await cluster.router.waitForExit(timeout: .seconds(120))
                    #expect(status == 128 + SIGKILL, "router was not killed by \(failpoint)")
                    #expect(cluster.router.logContents.contains("failpoint \(name) reached"))
                    let router = try cluster.relaunch("router", overriding: ["CONDUIT_FAILPOINTS": ""])
                    try await writer.value
                    for (follower, handle) in zip(followers, handles) {
                        try await RouterCrashTests.expectExactContentsOnce(follower: follower, sql: sql, handle: handle)
                    }
                    if shapes > 1 { #expect(router.logContents.contains("Recovered the commit journal")) }
                    _ = await router.stop()
                }
            }
        }
    }

    /// Followers of the same rows of `items` through two differently defined shapes, so each
    /// transaction touches both (a commit of two shapes goes through the commit journal).
    static func followers(_ client: HTTPClient) -> [ShapeFollower] {
        [ShapeFollower(client: client, table: "items"), ShapeFollower(client: client, table: "items", columns: "id,title")]
    }

    /// Killed while copying a snapshot: the half-copied shape is discarded at restart, its
    /// client gets 409, refetches, and ends with exactly the table.
    @Test func aSnapshotInterruptedByACrashIsDiscardedAndRetaken() async throws {
        try await TestDatabase.withDatabase(label: "rsnap") { database in
            let sql = try database.connect()
            try sql.execute("CREATE TABLE items (id int PRIMARY KEY, title text)")
            try sql.execute("INSERT INTO items SELECT g, 'seed' FROM generate_series(1, 25000) g")
            try await TemporaryDirectory.with { directory in
                try await ConduitCluster.with(
                    database: database, directory: directory, environment: ["CONDUIT_FAILPOINTS": "router.mid-snapshot"]
                ) { cluster in
                    let client = cluster.client
                    let first = Task { try await client.get("/v1/shape?table=items&offset=-1", timeout: .seconds(120)) }
                    let status = await cluster.router.waitForExit(timeout: .seconds(120))
                    #expect(status == 128 + SIGKILL)
                    let router = try cluster.relaunch("router", overriding: ["CONDUIT_FAILPOINTS": ""])
                    _ = try? await first.value
                    let follower = ShapeFollower(client: cluster.client, table: "items")
                    let expected = try PipelineTests.tableContents(sql)
                    try await follower.syncUntil(timeout: .seconds(120)) { $0.rows == expected }
                    #expect(router.logContents.contains("Removing a shape that cannot be resumed"))
                    _ = await router.stop()
                }
            }
        }
    }
}
