import Foundation
import Postgres
import TestSupport
import Testing

/// Transaction ids compare correctly across the 2^32 boundary and after restarts at any distance
/// (issue 7), on clusters of the tests' own moved through xid space with `pg_resetwal -x`.
///
/// pgoutput sends 32-bit xids; a shape's snapshot (`pg_current_snapshot()`) has 64-bit ones, and
/// router stores it in the shape's document (its record under `router`) to decide, after a restart, which streamed transactions its
/// rows already hold. Widening a 32-bit xid next to the snapshot is only sound within 2^31 of it,
/// so router also keeps the snapshot's WAL horizon: a commit at or after it is applied without
/// looking at its xid (``SnapshotVisibility``).
///
/// Serialized: each test stops and resets a PostgreSQL of its own and runs Conduit over it.
@Suite(
    .serialized,
    .enabled(if: TestDatabase.isAvailable && ThrowawayPostgres.isAvailable, "needs PostgreSQL 15 binaries: run through scripts/test"),
    .timeLimit(.minutes(5))
)
struct XidWraparoundTests {
    static let where_ = "id < 500"

    /// A snapshot taken a couple of hundred xids before 2^32, then 300 transactions whose 32-bit
    /// xids wrap to 3, with router restarted before and after the wrap: the follower ends equal
    /// to PostgreSQL, every insert seen exactly once.
    @Test func transactionsCrossingTheWrapAreAppliedExactlyOnce() async throws {
        try await ThrowawayPostgres.with(port: 54395) { postgres in
            let url = try await offThePool {
                try postgres.freezeEveryDatabase()
                try postgres.stop()
                try postgres.resetWAL(nextFullXID: (1 << 32) - 250)
                try postgres.start()
                return try Self.createItems(on: postgres)
            }
            try await TemporaryDirectory.with { directory in
                try await ConduitCluster.with(databaseURL: url, directory: directory) { cluster in
                    let follower = ShapeFollower(client: cluster.client, table: "items", where: Self.where_)
                    try await follower.syncUntilUpToDate()
                    let before = try await Self.sql(url) { try Self.currentXID($0) }
                    #expect(before < 1 << 32, "the snapshot is taken before the wrap")

                    // Router restarts after round 100 (before the wrap) and 260 (after it).
                    var router = cluster.router
                    do {
                        for rounds in [1...100, 101...260, 261...300] {
                            let expected = try await Self.sql(url) { sql in
                                for round in rounds { try Self.commitRound(round, sql) }
                                return try Self.expected(sql)
                            }
                            try await follower.syncUntil(timeout: .seconds(90)) { $0.rows == expected }
                            guard rounds.upperBound < 300 else { continue }
                            #expect(await router.stop() == 0)
                            router = try cluster.launchRouter()
                        }
                    } catch {
                        await router.stop()
                        throw error
                    }
                    await router.stop()
                    let after = try await Self.sql(url) { try Self.currentXID($0) }
                    #expect(after > 1 << 32, "the transactions crossed 2^32 (from \(before) to \(after))")

                    #expect(follower.refetchCount == 0)
                    let streamed = follower.changes.filter { $0.lsn != nil }
                    let inserts = streamed.filter { $0.operation == "insert" }.map(\.key)
                    #expect(inserts.count == Set(inserts).count, "no insert delivered twice")
                    #expect(inserts.count == (1...300).filter { Self.idOfRound($0) < 500 }.count)
                    let positions = streamed.map { "\($0.lsn ?? "-")_\($0.opPosition ?? -1)" }
                    #expect(positions.count == Set(positions).count, "no change delivered twice")
                }
            }
        }
    }

    /// A shape's snapshot stays in its document; Conduit and PostgreSQL stop, the xid counter
    /// jumps by more than 2^31, both start again: new transactions reach the shape. (Widened
    /// next to the stored snapshot without the horizon, they looked visible in it, and were
    /// skipped.)
    @Test func transactionsMoreThan2To31XidsAfterASnapshotSurviveARestart() async throws {
        try await ThrowawayPostgres.with(port: 54396) { postgres in
            // Epoch 1, so the stored snapshot's xmax is far enough above zero for a 32-bit xid
            // 2^31 later to be widened below it.
            let url = try await offThePool {
                try postgres.freezeEveryDatabase()
                try postgres.stop()
                try postgres.resetWAL(nextFullXID: (1 << 32) + 1_000)
                try postgres.start()
                return try Self.createItems(on: postgres)
            }
            try await TemporaryDirectory.with { directory in
                let cluster = try await ConduitCluster.start(databaseURL: url, directory: directory)
                var relaunched: [ConduitProcess] = []
                do {
                    let follower = ShapeFollower(client: cluster.client, table: "items", where: Self.where_)
                    try await follower.syncUntilUpToDate()
                    let handle = follower.handle
                    let (snapshotXID, streamed) = try await Self.sql(url) { sql in
                        let xid = try Self.currentXID(sql)
                        try sql.execute("INSERT INTO items VALUES (30, 'before the jump')")
                        return (xid, try Self.expected(sql))
                    }
                    try await follower.syncUntil { $0.rows == streamed }
                    try await cluster.waitUntilConfirmedCurrentWAL()
                    await cluster.stop()

                    let slot = cluster.slotName
                    try await offThePool { try Self.jump(postgres, slot: slot, by: (1 << 31) + 100_000) }
                    let after = try await Self.sql(url) { try Self.currentXID($0) }
                    #expect(after - snapshotXID > 1 << 31, "the xid counter moved by more than 2^31 (\(snapshotXID) → \(after))")

                    for name in ["ingest", "router", "serve"] { relaunched.append(try cluster.relaunch(name)) }
                    try await cluster.waitUntilHealthyAfterRestart()
                    let expected = try await Self.sql(url) { sql in
                        try sql.execute("INSERT INTO items VALUES (31, 'after the jump'), (700, 'outside the shape')")
                        try sql.execute("UPDATE items SET title = 'updated after the jump' WHERE id = 1")
                        try sql.execute("DELETE FROM items WHERE id = 2")
                        return try Self.expected(sql)
                    }
                    try await follower.syncUntil(timeout: .seconds(60)) { $0.rows == expected }
                    #expect(follower.handle == handle, "the same shape, not a reset")
                    #expect(follower.refetchCount == 0)
                } catch {
                    for process in relaunched { await process.stop() }
                    await cluster.stop()
                    throw SupportError("\(error)\n\(relaunched.map { $0.logTail() }.joined(separator: "\n"))")
                }
                for process in relaunched { await process.stop() }
            }
        }
    }

    // MARK: - Steps

    /// Conduit stopped, everything confirmed: moves `postgres`'s next xid `distance` ahead while
    /// `slot` keeps streaming from where its consumer left off (``ThrowawayPostgres/moveSlot(_:restartLSN:catalogXmin:)``).
    static func jump(_ postgres: ThrowawayPostgres, slot: String, by distance: UInt64) throws {
        try postgres.stop()
        // The slot's catalog_xmin holds back freezing of the catalog rows Conduit wrote (the
        // publication, the replica identity); nothing decodes until it moves again below.
        try postgres.moveSlot(slot, catalogXmin: UInt32(truncatingIfNeeded: try postgres.nextFullXID()))
        try postgres.start()
        try postgres.freezeEveryDatabase()
        try postgres.stop()
        let next = try postgres.nextFullXID() + distance
        try postgres.resetWAL(nextFullXID: next)
        try postgres.moveSlot(slot, restartLSN: try postgres.checkpointLocation(), catalogXmin: UInt32(truncatingIfNeeded: next))
        try postgres.start()
        // Logs a running-transactions record: the slot's consistent point in the new WAL.
        try postgres.connect().execute("CHECKPOINT")
    }

    /// Database `conduit` with `items (id int PRIMARY KEY, title text)` holding ids 1…20; returns
    /// its URL.
    static func createItems(on postgres: ThrowawayPostgres) throws -> String {
        try postgres.connect().execute("CREATE DATABASE conduit")
        let sql = try postgres.connect(database: "conduit")
        try sql.execute("CREATE TABLE items (id int PRIMARY KEY, title text)")
        try sql.execute("INSERT INTO items SELECT g, 'seed ' || g FROM generate_series(1, 20) g")
        return postgres.url(database: "conduit")
    }

    /// Runs `work` on a new connection to `url`, off the cooperative pool.
    static func sql<T: Sendable>(_ url: String, _ work: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await offThePool { try work(PostgresConnection(conninfo: url)) }
    }

    /// The id round `round` inserts: 102, 104, …; those from round 200 on are outside the shape.
    static func idOfRound(_ round: Int) -> Int { 100 + 2 * round }

    /// One transaction: an insert, and every third round an update, every fifth a delete, of
    /// rows earlier rounds inserted.
    static func commitRound(_ round: Int, _ sql: PostgresConnection) throws {
        var statements = ["INSERT INTO items VALUES (\(idOfRound(round)), 'round \(round)')"]
        if round % 3 == 0 { statements.append("UPDATE items SET title = 'updated in round \(round)' WHERE id = \(idOfRound(round - 1))") }
        if round % 5 == 0 { statements.append("DELETE FROM items WHERE id = \(idOfRound(round - 2))") }
        try sql.execute("BEGIN; " + statements.joined(separator: "; ") + "; COMMIT")
    }

    /// The shape's rows as PostgreSQL has them.
    static func expected(_ sql: PostgresConnection) throws -> [String: [String: String?]] {
        try PipelineTests.tableContents(sql).filter { (Int($0.value["id"]?.flatMap { $0 } ?? "") ?? .max) < 500 }
    }

    /// `txid_current()`: the 64-bit id of a new transaction.
    static func currentXID(_ sql: PostgresConnection) throws -> UInt64 {
        guard let text = try sql.execute("SELECT txid_current()").rows.first?.first ?? nil, let xid = UInt64(text) else {
            throw SupportError("txid_current() returned nothing")
        }
        return xid
    }
}
