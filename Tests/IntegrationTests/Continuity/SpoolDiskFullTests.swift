import ConduitCore
import Foundation
import Postgres
import Spool
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The spool's disk fills up mid-load (a small tmpfs): ingest pauses writing and confirming,
/// says so once, keeps running, and resumes by itself when space returns — nothing lost,
/// nothing doubled, nothing confirmed that was not on disk.
extension StreamContinuityTests {
    @Test func aFullSpoolDiskPausesIngestUntilSpaceReturns() async throws {
        try await TestDatabase.withDatabase(label: "enospc") { database in
            let sql = try database.connect()
            try sql.execute("CREATE TABLE items (id int PRIMARY KEY, title text)")
            try await TemporaryDirectory.with { directory in
                let spool = directory.appending("data/spool")
                try await withSmallTmpfs(at: spool, in: directory) {
                    try await ConduitCluster.with(database: database, directory: directory) { cluster in
                        let follower = ShapeFollower(client: cluster.client, table: "items")
                        try await follower.syncUntilUpToDate()
                        // Leave about 512 KiB free; the load below needs a few MiB.
                        let filler = spool + "/filler"
                        try Self.fill(filler, leavingFree: 512 << 10, in: spool)

                        let title = Array(repeating: "md5(random()::text)", count: 16).joined(separator: " || ")
                        for chunk in 0..<40 {
                            try sql.execute(
                                "INSERT INTO items SELECT g, \(title) FROM generate_series(\(chunk * 100 + 1), \(chunk * 100 + 100)) g")
                        }
                        try await cluster.ingest.waitForLog("Spool disk is full")
                        // Paused, not crashing, and never confirming past what the disk holds.
                        try await Task.sleep(for: .seconds(3))
                        #expect(cluster.ingest.isRunning)
                        #expect(cluster.ingest.logCount("Spool disk is full") == 1, "logged once, not per retry")
                        let confirmed = try #require(try cluster.confirmedFlush())
                        #expect(confirmed.value <= (try SpoolFiles.lastPosition(directory: spool)), "confirmed only what is on disk")
                        let onDisk = try SpoolFiles.lastPosition(directory: spool)

                        try FileSystem.removeFile(filler)
                        try await cluster.ingest.waitForLog("Spool disk has free space again")
                        try await cluster.waitUntilConfirmedCurrentWAL(timeout: .seconds(120))
                        #expect(try SpoolFiles.lastPosition(directory: spool) > onDisk)
                        let expected = try PipelineTests.tableContents(sql)
                        try await follower.syncUntil(timeout: .seconds(120)) { $0.rows == expected }
                        #expect(follower.refetchCount == 0, "a full disk is no reset")
                        #expect(cluster.ingest.logCount("Spool disk is full") == 1)
                        #expect(await cluster.ingest.stop() == 0)
                        let spooled = try IngestCrashTests.spooledTransactions(directory: spool)
                        #expect(spooled.flatMap(\.insertedIDs) == Array(1...4000), "every row spooled once, in commit order")
                    }
                }
            }
        }
    }

    /// Writes zeros into `path` until `directory`'s file system has about `free` bytes left.
    static func fill(_ path: String, leavingFree free: UInt64, in directory: String) throws {
        var info = statvfs()
        guard statvfs(directory, &info) == 0 else { throw SupportError("statvfs \(directory) failed") }
        let available = UInt64(info.f_bavail) * UInt64(info.f_frsize)
        guard available > free else { throw SupportError("only \(available) bytes free in \(directory)") }
        let file = try PosixFile(path: path, flags: O_WRONLY | O_CREAT | O_TRUNC)
        let chunk = [UInt8](repeating: 0, count: 64 << 10)
        var written: UInt64 = 0
        while written + UInt64(chunk.count) <= available - free {
            try file.write(chunk, at: written)
            written += UInt64(chunk.count)
        }
    }
}
