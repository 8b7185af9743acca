import ConduitCore
import Foundation
import TestSupport
import Testing

/// SIGTERM under load: ingest makes what it holds durable and confirmed, router commits its shape
/// logs and checkpoint, and each exits 0; after a restart nothing is lost or doubled. (serve's
/// graceful stop under load is ServeShutdownTests.)
@Suite(.enabled(if: TestDatabase.isAvailable, "needs PostgreSQL: run through scripts/test"), .timeLimit(.minutes(5)))
struct GracefulStopTests {
    static func readJSON(_ path: String) throws -> [String: Any] {
        try #require(
            try JSONSerialization.jsonObject(
                with: Data(ChecksummedFile.open([UInt8](Data(contentsOf: URL(fileURLWithPath: path))), path: path))) as? [String: Any])
    }

    @Test func ingestStopsWithTheSpoolDurableAndConfirmed() async throws {
        try await ItemsCluster.with(label: "stopingest", seed: "INSERT INTO items VALUES (1, 'a')") { cluster, sql, _ in
            let follower = ShapeFollower(client: cluster.client, table: "items")
            try await follower.syncUntilUpToDate()
            for id in 2..<200 { try sql.execute("INSERT INTO items VALUES (\(id), 'before')") }
            cluster.ingest.terminate()
            // Load while ingest stops: what it had read is made durable, the rest stays in the WAL.
            for id in 200..<400 { try sql.execute("INSERT INTO items VALUES (\(id), 'during')") }
            #expect(await cluster.ingest.waitForExit(timeout: .seconds(40)) == 0, "\(cluster.ingest.logTail())")
            #expect(cluster.ingest.logContents.contains("the spool is durable and confirmed"))
            #expect(!cluster.ingest.logContents.contains("did not acknowledge the end"), "\(cluster.ingest.logTail())")

            let status = try Self.readJSON(cluster.storageDirectory + "/ingest.status")
            #expect(status["phase"] as? String == "stopped")
            let durable = try #require(((status["durable"] as? [String: Any])?["commitEndLSN"] as? NSNumber)?.uint64Value)
            let confirmed = try #require((status["confirmedLSN"] as? NSNumber)?.uint64Value)
            // At least the spool's end; a keepalive's WAL end past the last commit may be confirmed
            // too when no transaction was pending (nothing unspooled lies before it).
            #expect(confirmed >= durable, "ingest stopped without confirming what the spool holds")
            let slot = try sql.execute(
                "SELECT pg_wal_lsn_diff(confirmed_flush_lsn, '0/0')::bigint::text FROM pg_replication_slots WHERE slot_name = '\(cluster.slotName)'"
            )
            #expect(
                slot.rows.first?.first?.flatMap { UInt64($0) } == confirmed, "PostgreSQL's confirmed_flush_lsn is not what ingest confirmed"
            )

            let ingest = try cluster.relaunch("ingest")
            defer { ingest.kill() }
            for id in 400..<450 { try sql.execute("INSERT INTO items VALUES (\(id), 'after')") }
            let expected = try PipelineTests.tableContents(sql)
            try await follower.syncUntil(timeout: .seconds(120)) { $0.rows == expected }
            let inspect = try await cluster.tool("ingest", ["spool-inspect", "--json"])
            let report = try #require(try JSONSerialization.jsonObject(with: Data(inspect.output.utf8)) as? [String: Any])
            let items = (report["tables"] as? [[String: Any]])?.first { $0["name"] as? String == "public.items" }
            // ids 2..<450: row 1 was seeded before ingest created its slot.
            #expect(items?["inserts"] as? Int == 448, "every insert spooled exactly once: \(String(describing: items))")
            ingest.terminate()
            #expect(await ingest.waitForExit(timeout: .seconds(40)) == 0)
        }
    }

    @Test func routerStopsCheckpointed() async throws {
        try await ItemsCluster.with(label: "stoprouter", seed: "INSERT INTO items VALUES (1, 'a')") { cluster, sql, _ in
            let follower = ShapeFollower(client: cluster.client, table: "items")
            try await follower.syncUntilUpToDate()
            try sql.execute("INSERT INTO items SELECT g, 'bulk' FROM generate_series(2, 5000) g")
            for id in 5000..<5100 { try sql.execute("UPDATE items SET title = 'u' WHERE id = \(id - 4000)") }
            cluster.router.terminate()
            for id in 5100..<5200 { try sql.execute("INSERT INTO items VALUES (\(id), 'during')") }
            #expect(await cluster.router.waitForExit(timeout: .seconds(40)) == 0, "\(cluster.router.logTail())")
            #expect(cluster.router.logContents.contains("shape logs committed and checkpoint written"))
            let status = try Self.readJSON(cluster.storageDirectory + "/router.status")
            let checkpoint = try Self.readJSON(cluster.storageDirectory + "/router.checkpoint")
            #expect(status["phase"] as? String == "stopped")
            #expect(
                (status["appliedCommitEnd"] as? NSNumber)?.uint64Value == (checkpoint["commitEndLSN"] as? NSNumber)?.uint64Value,
                "router stopped with applied work past its checkpoint")

            let router = try cluster.relaunch("router")
            defer { router.kill() }
            let expected = try PipelineTests.tableContents(sql)
            try await follower.syncUntil(timeout: .seconds(120)) { $0.rows == expected }
            router.terminate()
            #expect(await router.waitForExit(timeout: .seconds(40)) == 0)
        }
    }
}
