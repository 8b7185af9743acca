import ConduitCore
import Foundation
import Logging
import Postgres
import Spool
import TestSupport
import Testing

/// Killing ingest with SIGKILL mid-load and restarting it must leave the spool holding every
/// committed transaction exactly once, in commit order.
@Suite(.enabled(if: TestDatabase.isAvailable, "needs PostgreSQL: run through scripts/test"), .timeLimit(.minutes(5)))
struct IngestCrashTests {
    @Test func spoolHoldsEveryTransactionOnceAfterSIGKILL() async throws {
        try await TestDatabase.withDatabase(label: "kill") { database in
            let sql = try database.connect()
            try sql.execute("CREATE TABLE items (id int PRIMARY KEY, title text)")
            try await TemporaryDirectory.with { directory in
                try await ConduitCluster.with(database: database, directory: directory) { cluster in
                    // A shape on the table puts it in the publication.
                    let follower = ShapeFollower(client: cluster.client, table: "items")
                    try await follower.syncUntilUpToDate()

                    let transactions = 3000
                    let url = database.url
                    let writer = Task {
                        try await offThePool {  // blocking libpq calls must not hold the shared cooperative pool
                            let connection = try PostgresConnection(conninfo: url)
                            for id in 1...transactions {
                                try connection.execute("INSERT INTO items VALUES (\(id), 't\(id)')")
                            }
                        }
                    }
                    try await Task.sleep(for: .milliseconds(700))
                    cluster.ingest.kill()
                    _ = await cluster.ingest.waitForExit(timeout: .seconds(10))
                    try await Task.sleep(for: .milliseconds(300))
                    let restarted = try cluster.relaunch("ingest")
                    try await writer.value
                    let end = try sql.execute("SELECT pg_current_wal_lsn()::text").rows[0][0]!
                    try await waitUntil(timeout: .seconds(60)) {
                        let flushed = try sql.execute(
                            "SELECT confirmed_flush_lsn >= $1::pg_lsn FROM pg_replication_slots WHERE slot_name = $2",
                            parameters: [end, cluster.slotName])
                        return flushed.rows.first?[0] == "t"
                    }
                    // The rest of the pipeline converges on the table's contents across the crash.
                    let expected = try PipelineTests.tableContents(sql)
                    try await follower.syncUntil(timeout: .seconds(120)) { $0.rows == expected }
                    await restarted.stop()

                    let spooled = try Self.spooledTransactions(directory: cluster.storageDirectory + "/spool")
                    let commits = spooled.map(\.commitLSN)
                    #expect(commits == commits.sorted(), "transactions out of commit order")
                    #expect(Set(commits).count == commits.count, "a transaction is spooled twice")
                    let ids = spooled.flatMap(\.insertedIDs)
                    #expect(ids.count == transactions, "every committed transaction is spooled once")
                    #expect(ids == Array(1...transactions))
                }
            }
        }
    }

    struct SpooledTransaction {
        var commitLSN: LSN
        var insertedIDs: [Int]
    }

    static func spooledTransactions(directory: String) throws -> [SpooledTransaction] {
        let writer = try SpoolWriter(directory: directory, logger: Logger(label: "test"))
        guard let limit = writer.durablePosition else { return [] }
        let reader = try SpoolReader(directory: directory)
        guard let first = try reader.segments().first else { return [] }
        try reader.openCursor(segment: first)
        var transactions: [SpooledTransaction] = []
        var current: SpooledTransaction?
        while let batch = try reader.nextRecords(upTo: limit) {
            if batch.isSchema { continue }
            for record in batch.records {
                switch try record.decode() {
                case .begin(let begin):
                    current = SpooledTransaction(commitLSN: begin.finalLSN, insertedIDs: [])
                case .insert(let insert):
                    if case .text(let bytes) = insert.newTuple.columns[0], let id = Int(String(decoding: bytes, as: UTF8.self)) {
                        current?.insertedIDs.append(id)
                    }
                case .commit:
                    if let done = current { transactions.append(done) }
                    current = nil
                default:
                    break
                }
            }
        }
        return transactions
    }
}
