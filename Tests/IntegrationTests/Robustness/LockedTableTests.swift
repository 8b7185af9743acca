import Foundation
import Postgres
import TestSupport
import Testing

/// Issue 6: a table held by `LOCK TABLE … IN ACCESS EXCLUSIVE MODE` in another session delays or
/// fails only the requests for its own first shape (503 with retry-after, never a hang), while
/// live clients of shapes on other tables keep receiving changes throughout.
///
/// It runs on a PostgreSQL cluster of its own: an ACCESS EXCLUSIVE lock takes a transaction id, and
/// holding one open for 30 s on the shared test server would make every other test's
/// `CREATE_REPLICATION_SLOT` and snapshot wait for it.
@Suite(
    .enabled(if: TestDatabase.isAvailable && ThrowawayPostgres.isAvailable, "needs PostgreSQL: run through scripts/test"),
    .timeLimit(.minutes(5)))
struct LockedTableTests {
    @Test func aLockedTableDelaysOnlyItsOwnShape() async throws {
        try await ThrowawayPostgres.with(port: 54397) { postgres in
            let url = try await offThePool { () -> String in
                try postgres.connect().execute("CREATE DATABASE conduit")
                let sql = try postgres.connect(database: "conduit")
                try sql.execute("CREATE TABLE held (id int PRIMARY KEY, title text)")
                try sql.execute("INSERT INTO held VALUES (1, 'a')")
                return postgres.url(database: "conduit")
            }
            let sql = try PostgresConnection(conninfo: url)
            try await TemporaryDirectory.with { directory in
                try await ConduitCluster.with(databaseURL: url, directory: directory) { cluster in
                    let calm = try await CalmShape(cluster: cluster, sql: sql)
                    let locker = try PostgresConnection(conninfo: url)
                    try locker.execute("BEGIN; LOCK TABLE held IN ACCESS EXCLUSIVE MODE")
                    let lockedAt = ContinuousClock.now

                    // Clients of the locked table keep asking, as the TS client does after a 503.
                    let client = cluster.client
                    let attempts = Task { () -> [Int] in
                        var statuses: [Int] = []
                        while ContinuousClock.now - lockedAt < .seconds(30) {
                            let response = try await client.get("/v1/shape?table=held&offset=-1", timeout: .seconds(60))
                            statuses.append(response.status)
                            if response.status == 503 {
                                #expect(response.headers["retry-after"] != nil, "a 503 says when to retry")
                            }
                            try await Task.sleep(for: .milliseconds(500))
                        }
                        return statuses
                    }
                    var latencies: [Duration] = []
                    while ContinuousClock.now - lockedAt < .seconds(30) {
                        let started = ContinuousClock.now
                        try await calm.expectStillFlowing("a write while another table is locked", timeout: .seconds(10))
                        latencies.append(ContinuousClock.now - started)
                        try await Task.sleep(for: .seconds(1))
                    }
                    try locker.execute("COMMIT")
                    let statuses = try await attempts.value
                    #expect(!statuses.isEmpty && statuses.allSatisfy { $0 == 503 || $0 == 200 }, "statuses: \(statuses)")
                    #expect(statuses.contains(503), "the locked table's shape could not be created while locked")
                    #expect(latencies.count >= 10, "changes kept flowing for the whole 30 s: \(latencies)")

                    // Once the lock is gone the shape is created normally.
                    let follower = ShapeFollower(client: cluster.client, table: "held")
                    try await follower.syncUntil(timeout: .seconds(60)) { $0.rows.count == 1 }
                }
            }
        }
    }
}
