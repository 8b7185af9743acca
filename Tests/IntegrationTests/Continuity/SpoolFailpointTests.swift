import ConduitCore
import Foundation
import Postgres
import Synchronization
import TestSupport
import Testing

/// ingest killed at each spool failpoint in the middle of a load (and a walsender killed under
/// it) must leave, after a restart, every committed transaction in the spool exactly once, in
/// commit order, and the clients with exactly the table's contents.
@Suite(.enabled(if: TestDatabase.isAvailable, "needs PostgreSQL: run through scripts/test"), .timeLimit(.minutes(5)))
struct SpoolFailpointTests {
    static let transactions = 3000

    /// `@10`: syncs coalesce under load (one fdatasync covers many commits), so a small count
    /// is what lands in the middle of the load on a busy machine.
    @Test(arguments: ["spool.before-fsync@10", "spool.after-fsync@10", "spool.mid-frame@20"])
    func everyTransactionIsSpooledOnceAfterACrashAt(_ failpoint: String) async throws {
        let name = String(failpoint.split(separator: "@")[0])
        try await Self.withFollowedTable(label: "fp", environment: ["CONDUIT_FAILPOINTS": failpoint]) { cluster, follower, sql, url in
            let progress = LoadProgress()
            let writer = Self.insertTransactions(url: url, progress: progress)
            let status = await cluster.ingest.waitForExit(timeout: .seconds(90))
            #expect(status == 128 + SIGKILL, "ingest was not killed by \(failpoint)")
            #expect(cluster.ingest.logContents.contains("failpoint \(name) reached"))
            // Mid-load: the spool held only part of the load when ingest died (reading it runs
            // the same recovery the restarted ingest would).
            let spooledAtCrash = try IngestCrashTests.spooledTransactions(directory: cluster.spoolDirectory).count
            #expect(
                spooledAtCrash < Self.transactions,
                "the crash comes in the middle of the load (\(spooledAtCrash) spooled, \(progress.committed.load(ordering: .relaxed)) committed)"
            )
            let restarted = try cluster.launchIngest(overrides: ["CONDUIT_FAILPOINTS": nil])
            try await writer.value
            try await Self.expectEverythingOnce(cluster: cluster, follower: follower, sql: sql, ingest: restarted)
        }
    }

    /// The connection drops (walsender terminated) while commits are pending: they are spooled
    /// before replication resumes, and nothing after them is skipped or doubled.
    @Test func everyTransactionIsSpooledOnceAcrossDroppedConnections() async throws {
        try await Self.withFollowedTable(label: "drop") { cluster, follower, sql, url in
            let writer = Self.insertTransactions(url: url, progress: LoadProgress())
            var terminated = 0
            while terminated < 3 {
                try await Task.sleep(for: .milliseconds(400))
                let result = try sql.execute(
                    "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1 AND active_pid IS NOT NULL",
                    parameters: [cluster.slotName])
                terminated += result.rows.count
            }
            try await writer.value
            #expect(cluster.ingest.isRunning, "a dropped connection is retried, not fatal")
            try await Self.expectEverythingOnce(cluster: cluster, follower: follower, sql: sql, ingest: cluster.ingest)
        }
    }

    /// A cluster (with `environment`) whose follower is up to date on an empty `items` table.
    static func withFollowedTable(
        label: String, environment: [String: String] = [:],
        _ body: (ConduitCluster, ShapeFollower, PostgresConnection, String) async throws -> Void
    ) async throws {
        try await TestDatabase.withDatabase(label: label) { database in
            let sql = try database.connect()
            try sql.execute("CREATE TABLE items (id int PRIMARY KEY, title text)")
            try await TemporaryDirectory.with { directory in
                try await ConduitCluster.with(database: database, directory: directory, environment: environment) { cluster in
                    let follower = ShapeFollower(client: cluster.client, table: "items")
                    try await follower.syncUntilUpToDate()
                    try await body(cluster, follower, sql, database.url)
                }
            }
        }
    }

    /// Inserts ids 1...transactions, one transaction each, on a connection of its own, counting
    /// the committed ones in `progress`.
    static func insertTransactions(url: String, progress: LoadProgress) -> Task<Void, any Error> {
        Task {
            try await offThePool {  // blocking libpq calls must not hold the shared cooperative pool
                let connection = try PostgresConnection(conninfo: url)
                for id in 1...transactions {
                    try connection.execute("INSERT INTO items VALUES (\(id), 't\(id)')")
                    progress.committed.store(id, ordering: .relaxed)
                }
            }
        }
    }

    /// How many of the load's transactions have committed.
    final class LoadProgress: Sendable {
        let committed = Atomic<Int>(0)
    }

    /// Waits for the pipeline to settle, stops `ingest`, and checks the spool and the client.
    static func expectEverythingOnce(cluster: ConduitCluster, follower: ShapeFollower, sql: PostgresConnection, ingest: ConduitProcess)
        async throws
    {
        try await cluster.waitUntilConfirmedCurrentWAL()
        let expected = try PipelineTests.tableContents(sql)
        try await follower.syncUntil(timeout: .seconds(120)) { $0.rows == expected }
        #expect(follower.refetchCount == 0, "a crash of ingest is not a reset")
        await ingest.stop()
        #expect(try SpoolFiles.resets(directory: cluster.spoolDirectory).isEmpty)
        let spooled = try IngestCrashTests.spooledTransactions(directory: cluster.spoolDirectory)
        let commits = spooled.map(\.commitLSN)
        #expect(commits == commits.sorted(), "transactions out of commit order")
        #expect(Set(commits).count == commits.count, "a transaction is spooled twice")
        #expect(spooled.flatMap(\.insertedIDs) == Array(1...transactions), "every committed transaction is spooled once, in order")
    }
}
