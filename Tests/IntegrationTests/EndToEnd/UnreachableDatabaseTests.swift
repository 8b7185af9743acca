import Foundation
import Postgres
import TestSupport
import Testing

/// A database that is missing or unreachable gets a clear log line and a retry loop — never a
/// crash — and ingest starts replicating by itself once the database is there.
@Suite(.enabled(if: TestDatabase.isAvailable, "needs PostgreSQL: run through scripts/test"), .timeLimit(.minutes(3)))
struct UnreachableDatabaseTests {
    @Test func ingestRetriesUntilTheDatabaseExists() async throws {
        let name = TestDatabase.uniqueName(label: "late")
        let url = TestDatabase.url(database: name)
        try await TemporaryDirectory.with { directory in
            let ingest = try ConduitProcess.launch(
                "ingest",
                environment: ["DATABASE_URL": url, "CONDUIT_STORAGE_DIR": directory.appending("data"), "CONDUIT_STREAM_ID": "late"],
                logDirectory: directory)
            try await waitUntil(timeout: .seconds(30)) { ingest.logTail().contains("Replication connection failed; retrying") }
            #expect(ingest.isRunning)
            #expect(ingest.logTail().contains("does not exist"))

            let admin = try PostgresConnection(conninfo: TestDatabase.url(database: "postgres"))
            try admin.execute("CREATE DATABASE \(PostgresConnection.quoteIdentifier(name)) TEMPLATE template0")
            let database = TestDatabase(name: name, url: url)
            defer { try? database.drop() }
            try await waitUntil(timeout: .seconds(60)) { ingest.logTail().contains("Replication started") }
            #expect(ingest.isRunning)
            _ = await ingest.stop()
        }
    }

    @Test func ingestWithoutDatabaseURLExitsWithAClearMessage() async throws {
        try await TemporaryDirectory.with { directory in
            let ingest = try ConduitProcess.launch(
                "ingest", environment: ["CONDUIT_STORAGE_DIR": directory.appending("data")], logDirectory: directory)
            let status = await ingest.waitForExit(timeout: .seconds(20))
            #expect(status == 1)
            #expect(ingest.logTail().contains("DATABASE_URL is not set"))
        }
    }
}
