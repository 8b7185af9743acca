import ConduitCore
import Foundation
import Postgres
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The shape logs' disk fills up mid-load (a small tmpfs on `shapes/` only): router pauses,
/// says so once, does not exit or crash-loop, and when space returns it rebuilds from disk and
/// catches up — the client keeps its handle and ends with exactly the table, nothing doubled.
@Suite(.enabled(if: TestDatabase.isAvailable, "needs PostgreSQL: run through scripts/test"), .timeLimit(.minutes(5)))
struct RouterDiskFullTests {
    @Test func aFullShapeDiskPausesRouterUntilSpaceReturns() async throws {
        try await TestDatabase.withDatabase(label: "rfull") { database in
            let sql = try database.connect()
            try sql.execute("CREATE TABLE items (id int PRIMARY KEY, title text)")
            try await TemporaryDirectory.with { directory in
                let shapes = directory.appending("data/shapes")
                try await withSmallTmpfs(at: shapes, in: directory) {
                    try await ConduitCluster.with(database: database, directory: directory) { cluster in
                        let follower = ShapeFollower(client: cluster.client, table: "items")
                        try await follower.syncUntilUpToDate()
                        let handle = follower.handle
                        let routerPID = cluster.router.pid
                        let filler = shapes + "/.filler"
                        try StreamContinuityTests.fill(filler, leavingFree: 512 << 10, in: shapes)

                        // Rows that compress well (the spool stays small) but take room as JSON.
                        for chunk in 0..<40 {
                            try sql.execute(
                                "INSERT INTO items SELECT g, repeat('x', 300) FROM generate_series(\(chunk * 100 + 1), \(chunk * 100 + 100)) g"
                            )
                        }
                        try await cluster.router.waitForLog("Storage is full; routing paused")
                        try await Task.sleep(for: .seconds(3))
                        #expect(cluster.router.isRunning && cluster.router.pid == routerPID, "router pauses; it does not exit")
                        #expect(cluster.router.logCount("Storage is full; routing paused") == 1, "logged once, not per retry")

                        try FileSystem.removeFile(filler)
                        try await cluster.router.waitForLog("Storage has room again; routing resumed")
                        let expected = try PipelineTests.tableContents(sql)
                        try await follower.syncUntil(timeout: .seconds(120)) { $0.rows == expected }
                        #expect(follower.handle == handle && follower.refetchCount == 0, "a full disk is no reason to refetch")
                        var lastOffset: (Int64, Int64) = (0, -1)
                        for change in follower.changes {
                            guard let lsn = change.lsn.flatMap(Int64.init), let op = change.opPosition else { continue }
                            #expect((lsn, op) > lastOffset, "no change twice")
                            lastOffset = (lsn, op)
                        }
                    }
                }
            }
        }
    }
}
