import ConduitCore
import Foundation
import Postgres
import Spool
import TestSupport
import Testing

/// Damaged or missing spool data stops ingest with the file and offset, instead of being cut
/// silently; the documented recovery (move the spool and router's checkpoint aside) then resets
/// the stream and every client resyncs.
extension StreamContinuityTests {
    @Test func aFlippedByteInTheMiddleOfASegmentStopsIngest() async throws {
        try await Self.withStoppedIngest(label: "flip") { cluster, follower, sql in
            let segment = try #require(try SpoolDirectory.segments(in: cluster.spoolDirectory).last)
            let path = SpoolDirectory.path(of: segment, in: cluster.spoolDirectory)
            let frames = try SpoolFiles.frames(of: path)
            try #require(frames.count >= 2, "the segment needs a frame followed by others")
            let damaged = frames[0]
            let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int
            try SpoolFiles.flipBit(in: path, at: damaged.offset + 32 + damaged.payloadBytes / 2)

            let ingest = try cluster.launchIngest()
            #expect(await ingest.waitForExit(timeout: .seconds(30)) == 1, "damage stops ingest")
            let stop = ingest.logContents.split(separator: "\n").last { $0.contains("ingest stopped on an error") } ?? ""
            #expect(stop.contains("\(path) is corrupt at offset \(damaged.offset)"), "names file and offset: \(stop)")
            #expect(stop.contains("refusing to truncate"))
            #expect(stop.contains("move the spool directory and router.checkpoint aside"), "points at the recovery")
            #expect(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int == size, "nothing was cut")
            try await Self.followTheRunbook(cluster: cluster, follower: follower, sql: sql)
        }
    }

    /// The last frame is damaged although PostgreSQL already confirmed it: it looks like a torn
    /// tail, but cutting it would lose confirmed transactions.
    @Test func aDamagedTailThatPostgreSQLConfirmedStopsIngest() async throws {
        try await Self.withStoppedIngest(label: "tail") { cluster, follower, sql in
            let confirmed = try #require(try cluster.confirmedFlush())
            let segment = try #require(try SpoolDirectory.segments(in: cluster.spoolDirectory).last)
            let path = SpoolDirectory.path(of: segment, in: cluster.spoolDirectory)
            let frame = try #require(try SpoolFiles.frames(of: path).last { $0.position > 0 && $0.position <= confirmed.value })
            // Whatever came after it was never confirmed; keep the damaged frame last.
            try FileHandle(forWritingTo: URL(fileURLWithPath: path)).truncate(atOffset: UInt64(frame.offset + frame.size))
            try SpoolFiles.flipBit(in: path, at: frame.offset + 32 + frame.payloadBytes / 2)

            let ingest = try cluster.launchIngest()
            #expect(await ingest.waitForExit(timeout: .seconds(30)) == 1)
            let stop = ingest.logContents.split(separator: "\n").last { $0.contains("ingest stopped on an error") } ?? ""
            #expect(stop.contains("\(path) is damaged at offset \(frame.offset)"), "\(stop)")
            #expect(stop.contains("PostgreSQL already confirmed"))
            #expect(try SpoolFiles.frames(of: path).count >= 1)
            try await Self.followTheRunbook(cluster: cluster, follower: follower, sql: sql)
        }
    }

    @Test func aMissingMiddleSegmentStopsIngest() async throws {
        try await TestDatabase.withDatabase(label: "gap") { database in
            let sql = try database.connect()
            try sql.execute("CREATE TABLE items (id int PRIMARY KEY, title text)")
            try await TemporaryDirectory.with { directory in
                try await ConduitCluster.with(
                    database: database, directory: directory, environment: ["CONDUIT_SPOOL_SEGMENT_BYTES": "65536"]
                ) { cluster in
                    let follower = ShapeFollower(client: cluster.client, table: "items")
                    try await follower.syncUntilUpToDate()
                    // Random hex: about 2:1 under zstd, so 30 × 100 rows of 256 characters fill several 64 KiB segments.
                    let title = Array(repeating: "md5(random()::text)", count: 8).joined(separator: " || ")
                    // Group commits may pack many transactions into one frame on a busy machine, so
                    // load until ingest has rotated past four segments.
                    var chunk = 0
                    while try chunk < 30 || (SpoolDirectory.segments(in: cluster.spoolDirectory).count < 5 && chunk < 600) {
                        try sql.execute(
                            "INSERT INTO items SELECT g, \(title) FROM generate_series(\(chunk * 100 + 1), \(chunk * 100 + 100)) g")
                        chunk += 1
                        if chunk >= 30 { try await Task.sleep(for: .milliseconds(20)) }
                    }
                    let expected = try PipelineTests.tableContents(sql)
                    try await follower.syncUntil(timeout: .seconds(120)) { $0.rows == expected }
                    #expect(await cluster.ingest.stop() == 0)
                    let segments = try SpoolDirectory.segments(in: cluster.spoolDirectory)
                    try #require(segments.count >= 4, "segments: \(segments)")
                    let missing = segments[segments.count / 2]
                    try FileSystem.removeFile(SpoolDirectory.path(of: missing, in: cluster.spoolDirectory))

                    let ingest = try cluster.launchIngest()
                    #expect(await ingest.waitForExit(timeout: .seconds(30)) == 1)
                    let stop = ingest.logContents.split(separator: "\n").last { $0.contains("ingest stopped on an error") } ?? ""
                    let before = segments[segments.count / 2 - 1].paddedHex
                    let after = segments[segments.count / 2 + 1].paddedHex
                    #expect(stop.contains("gap between segments \(before) and \(after)"), "\(stop)")
                    #expect(stop.contains("\(missing.paddedHex), which is missing") || stop.contains("segment is missing"))
                    try await Self.followTheRunbook(cluster: cluster, follower: follower, sql: sql)
                }
            }
        }
    }

    /// The runbook "the spool is damaged": stop router, move the spool and router.checkpoint
    /// aside, start ingest and router. ingest resets the stream; clients get 409 and resync.
    static func followTheRunbook(cluster: ConduitCluster, follower: ShapeFollower, sql: PostgresConnection) async throws {
        let oldHandle = follower.handle
        #expect(await cluster.router.stop() == 0)
        let storage = cluster.storageDirectory
        try FileSystem.rename(storage + "/spool", to: storage + "/spool.damaged")
        try FileSystem.rename(storage + "/router.checkpoint", to: storage + "/router.checkpoint.damaged")
        let ingest = try cluster.launchIngest()
        let router = try cluster.launchRouter()
        try await ingest.waitForLog("Replication stream reset: the spool is empty")
        try sql.execute("INSERT INTO items VALUES (100000, 'after the recovery')")
        let expected = try PipelineTests.tableContents(sql)
        try await follower.syncUntil(timeout: .seconds(120)) { $0.rows == expected }
        #expect(follower.refetchCount >= 1)
        #expect(follower.handle != oldHandle)
        #expect(await router.stop() == 0)
        #expect(await ingest.stop() == 0)
        #expect(try SpoolFiles.resets(directory: cluster.spoolDirectory).count == 1)
    }
}
