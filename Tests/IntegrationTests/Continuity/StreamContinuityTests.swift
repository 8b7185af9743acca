import ConduitCore
import Foundation
import Postgres
import TestSupport
import Testing

/// A replication slot lost while ingest is down is a stream reset, never a silent gap: ingest
/// says so in one error line, writes a reset into the spool, router removes every shape there,
/// and clients get 409 and resync to what PostgreSQL holds, including the rows of the gap.
///
/// The suite runs its tests one at a time: each stops ingest for a while, and one of them makes
/// PostgreSQL invalidate a lagging slot, which must never be another of these tests' slots.
/// Tests in other files (`extension StreamContinuityTests`) belong to it for the same reason.
@Suite(.serialized, .enabled(if: TestDatabase.isAvailable, "needs PostgreSQL: run through scripts/test"), .timeLimit(.minutes(5)))
struct StreamContinuityTests {
    @Test func aSlotDroppedWhileIngestIsDownResetsTheStream() async throws {
        try await Self.withStoppedIngest(label: "dropslot") { cluster, follower, sql in
            try await cluster.dropSlot()
            try sql.execute("INSERT INTO items VALUES (4, 'written while the slot was gone')")
            try await Self.expectReset(cluster: cluster, follower: follower, sql: sql, cause: "no longer exists")
        }
    }

    /// `max_slot_wal_keep_size` invalidates the slot while ingest is down (see
    /// ``invalidateSlot(_:databaseURL:)`` for how the shared server's other slots are kept safe).
    @Test func aSlotInvalidatedByMaxSlotWalKeepSizeResetsTheStream() async throws {
        try await Self.withStoppedIngest(label: "lostslot") { cluster, follower, sql in
            try sql.execute("INSERT INTO items VALUES (4, 'written before the WAL was removed')")
            try await Self.invalidateSlot(cluster.slotName, databaseURL: cluster.databaseURL)
            try await Self.expectReset(cluster: cluster, follower: follower, sql: sql, cause: "was invalidated")
        }
    }

    /// Makes PostgreSQL invalidate `slot` (inactive) through `max_slot_wal_keep_size`.
    ///
    /// The setting is cluster-wide and other tests share the server, so: first ~160 MB of WAL
    /// are generated (segment switches), then the test waits until every *other* slot's
    /// restart_lsn is within 64 MB of the current WAL (checkpoints log the running-transactions
    /// records that let a streaming slot advance), and only then is the limit set to 128 MB for
    /// one checkpoint and reset at once. A slot that lags less than 128 MB is never invalidated,
    /// so no other test's slot can be hit, even one whose ingest is down at that moment.
    /// It runs on a thread of its own: it blocks on libpq and sleeps between checkpoints for up to
    /// two minutes, which on the shared cooperative pool would stall every other test.
    static func invalidateSlot(_ slot: String, databaseURL: String) async throws {
        try await offThePool { try invalidateSlotBlocking(slot, databaseURL: databaseURL) }
    }

    private static func invalidateSlotBlocking(_ slot: String, databaseURL: String) throws {
        let sql = try PostgresConnection(conninfo: databaseURL)
        try sql.execute("CREATE TABLE IF NOT EXISTS filler (n int)")
        let admin = try PostgresConnection(conninfo: TestDatabase.url(database: "postgres"))
        func reset() {
            _ = try? admin.execute("ALTER SYSTEM RESET max_slot_wal_keep_size")
            _ = try? admin.execute("SELECT pg_reload_conf()")
        }
        func slotLost() throws -> Bool {
            for _ in 0..<10 {
                try sql.execute("INSERT INTO filler VALUES (1)")
                try sql.execute("SELECT pg_switch_wal()")
            }
            let lag = "pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)"
            guard
                try admin.execute("SELECT \(lag) > 128 * 1024 * 1024 FROM pg_replication_slots WHERE slot_name = $1", parameters: [slot])
                    .rows.first?.first == "t"
            else { return false }
            var othersSafe = false
            for _ in 0..<40 where !othersSafe {
                try admin.execute("CHECKPOINT")
                Thread.sleep(forTimeInterval: 0.5)
                let lagging = try admin.execute(
                    "SELECT count(*) FROM pg_replication_slots WHERE slot_name <> $1 AND restart_lsn IS NOT NULL AND \(lag) > 64 * 1024 * 1024",
                    parameters: [slot])
                othersSafe = lagging.rows.first?.first == "0"
            }
            guard othersSafe else { throw SupportError("other slots lag more than 64 MB for 20 s; not risking their invalidation") }
            defer { reset() }
            try admin.execute("ALTER SYSTEM SET max_slot_wal_keep_size = '128MB'")
            try admin.execute("SELECT pg_reload_conf()")
            try admin.execute("CHECKPOINT")
            reset()
            let status = try admin.execute("SELECT wal_status FROM pg_replication_slots WHERE slot_name = $1", parameters: [slot])
            return status.rows.first?.first == "lost"
        }
        let deadline = ContinuousClock.now + .seconds(120)
        while try !slotLost() {
            guard ContinuousClock.now < deadline else { throw SupportError("slot \(slot) not invalidated within 120 s") }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    @Test func aSecondIngestOnTheSameStorageDirectoryIsRefused() async throws {
        try await TestDatabase.withDatabase(label: "twoingest") { database in
            try await TemporaryDirectory.with { directory in
                try await ConduitCluster.with(database: database, directory: directory) { cluster in
                    let logBefore = cluster.ingest.logContents.count
                    let second = try cluster.launchIngest()
                    let status = await second.waitForExit(timeout: .seconds(20))
                    #expect(status == 1)
                    let output = String(cluster.ingest.logContents.dropFirst(logBefore))
                    let refusal = output.split(separator: "\n").filter { $0.contains("another ingest is already running") }
                    #expect(refusal.count == 1, "one clear line: \(output)")
                    #expect(refusal.first?.contains(cluster.storageDirectory) == true)
                    #expect(cluster.ingest.isRunning, "the first ingest keeps running")
                }
            }
        }
    }

    /// A cluster with a synced follower on `items` (3 rows), with ingest stopped.
    static func withStoppedIngest(
        label: String, _ body: (ConduitCluster, ShapeFollower, PostgresConnection) async throws -> Void
    ) async throws {
        try await TestDatabase.withDatabase(label: label) { database in
            let sql = try database.connect()
            try sql.execute("CREATE TABLE items (id int PRIMARY KEY, title text)")
            try sql.execute("INSERT INTO items VALUES (1, 'a'), (2, 'b'), (3, 'c')")
            try await TemporaryDirectory.with { directory in
                try await ConduitCluster.with(database: database, directory: directory) { cluster in
                    let follower = ShapeFollower(client: cluster.client, table: "items")
                    try await follower.syncUntilUpToDate()
                    for round in 1...3 {
                        try sql.execute("UPDATE items SET title = 'streamed \(round)' WHERE id = 1")
                        try await follower.syncUntil { $0.rows["\"public\".\"items\"/\"1\""]?["title"] == "streamed \(round)" }
                    }
                    try await cluster.waitUntilConfirmedCurrentWAL()
                    #expect(await cluster.ingest.stop() == 0)
                    try await body(cluster, follower, sql)
                }
            }
        }
    }

    /// Restarts ingest and checks the reset end to end.
    static func expectReset(cluster: ConduitCluster, follower: ShapeFollower, sql: PostgresConnection, cause: String) async throws {
        let oldHandle = follower.handle
        let ingest = try cluster.launchIngest()
        try await ingest.waitForLog("Replication stream reset")
        let resetLines = ingest.logContents.split(separator: "\n").filter { $0.contains("Replication stream reset") }
        #expect(resetLines.count == 1, "\(resetLines)")
        #expect(resetLines.first?.contains(cause) == true, "the line names the cause: \(resetLines)")
        #expect(resetLines.first?.contains("error") == true, "logged at error level")

        let expected = try PipelineTests.tableContents(sql)
        try await follower.syncUntil(timeout: .seconds(60)) { $0.rows == expected }
        #expect(follower.refetchCount >= 1, "clients of the shape got 409 and refetched")
        #expect(follower.handle != oldHandle)
        // The stream goes on from the new slot.
        try sql.execute("INSERT INTO items VALUES (5, 'after the reset')")
        let after = try PipelineTests.tableContents(sql)
        try await follower.syncUntil(timeout: .seconds(60)) { $0.rows == after }
        #expect(await ingest.stop() == 0)
        let resets = try SpoolFiles.resets(directory: cluster.spoolDirectory)
        #expect(resets.count == 1, "\(resets)\n\(ingest.logContents)")
        #expect(resets.first?.epoch == 2)
        #expect(resets.first?.reason.contains(cause) == true)
    }
}
