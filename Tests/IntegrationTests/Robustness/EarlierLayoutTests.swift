import Foundation
import Postgres
import TestSupport
import Testing

@testable import ConduitCore

/// A shape folder as an earlier release left it (its definition in `shape.json`, router's record
/// in `router.json`, a version-1 `changes.log`, a version-1 `snapshot.log` with `snapshot.state`,
/// an empty `changes.chunks`) resumes after an upgrade with
/// its handle, its rows and its offsets: clients neither refetch nor miss a change.
@Suite(.enabled(if: TestDatabase.isAvailable, "needs PostgreSQL: run through scripts/test"), .timeLimit(.minutes(5)))
struct EarlierLayoutTests {
    /// Rewrites the folder of a shape this release wrote in the layout of the previous one.
    static func downgrade(_ folder: String) throws {
        let files = ShapeLogFiles(directory: folder)
        var document = try StoredShapeDocument.read(folder: folder)
        let removed = document.removeValue(forKey: ShapeMetadata.routerRecordKey)
        let record = try #require(removed)
        try ChecksummedFile.write(path: files.metadata, payload: [UInt8](try JSONSerialization.data(withJSONObject: document)))
        try ChecksummedFile.write(path: folder + "/router.json", payload: [UInt8](try JSONSerialization.data(withJSONObject: record)))
        // A version-1 change log: no document. Its entries stay where they are (the index holds
        // their positions; nothing reads the zeros between the header and the first entry).
        var changes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: files.changeLog)))
        let documentEnd = ShapeLogFormat.fileHeaderSize + ShapeLogFormat.frameHeaderSize
            + Int(changes.loadInteger(UInt32.self, at: ShapeLogFormat.fileHeaderSize, .littleEndian))
        changes.replaceSubrange(0..<documentEnd, with: ShapeLogFormat.fileHeader(magic: ShapeLogFormat.changeLogMagic, version: 1)
            + [UInt8](repeating: 0, count: documentEnd - ShapeLogFormat.fileHeaderSize))
        try Data(changes).write(to: URL(fileURLWithPath: files.changeLog))

        let state = try #require(try ShapeLogReader(directory: folder).loadSnapshotState())
        #expect(state.isComplete && state.framesStart == SnapshotStateSlots.framesStart)
        let log = [UInt8](try Data(contentsOf: URL(fileURLWithPath: files.snapshotLog)))
        let shift = SnapshotStateSlots.framesStart - UInt64(ShapeLogFormat.fileHeaderSize)
        let frames = log[Int(SnapshotStateSlots.framesStart)..<Int(try #require(state.chunkEnds.last))]
        try Data(ShapeLogFormat.fileHeader(magic: ShapeLogFormat.snapshotLogMagic, version: 1) + frames)
            .write(to: URL(fileURLWithPath: files.snapshotLog))
        let earlier = SnapshotState(chunkEnds: state.chunkEnds.map { $0 - shift }, isComplete: true)
        try Data(earlier.encoded()).write(to: URL(fileURLWithPath: files.snapshotState))
        if !FileManager.default.fileExists(atPath: files.changeChunks) {
            try Data(ShapeLogEntryTable.changeChunks().fileHeader).write(to: URL(fileURLWithPath: files.changeChunks))
        }
    }

    @Test func aShapeInTheEarlierLayoutResumesWithItsHandle() async throws {
        try await ItemsCluster.with(
            label: "oldlayout", seed: "INSERT INTO items SELECT g, 'seed ' || g FROM generate_series(1, 300) g",
            environment: ["CONDUIT_CHUNK_BYTES": "4096"]
        ) { cluster, sql, _ in
            let follower = ShapeFollower(client: cluster.client, table: "items", where: "id % 3 = 0")
            try await follower.syncUntilUpToDate()
            try sql.execute("UPDATE items SET title = 'changed' WHERE id < 30")
            let before = try PipelineTests.tableContents(sql).filter { Int($0.value["id"]!!)! % 3 == 0 }
            try await follower.syncUntil { $0.rows == before }
            let handle = try #require(follower.handle)

            cluster.router.terminate()
            #expect(await cluster.router.waitForExit(timeout: .seconds(40)) == 0)
            try Self.downgrade(cluster.storageDirectory + "/shapes/" + handle)
            let router = try cluster.relaunch("router")
            defer { router.kill() }

            try sql.execute("INSERT INTO items VALUES (3000, 'after'), (3001, 'outside'); DELETE FROM items WHERE id = 3")
            let after = try PipelineTests.tableContents(sql).filter { Int($0.value["id"]!!)! % 3 == 0 }
            try await follower.syncUntil(timeout: .seconds(60)) { $0.rows == after }
            #expect(follower.handle == handle && follower.refetchCount == 0)
            // A new client reads the snapshot in its earlier layout, chunk by chunk, then the log.
            let fresh = ShapeFollower(client: cluster.client, table: "items", where: "id % 3 = 0")
            try await fresh.syncUntil { $0.rows == after }
            #expect(fresh.handle == handle)
            #expect(!router.logContents.contains("Removing a shape"), "\(router.logContents)")
            router.terminate()
            #expect(await router.waitForExit(timeout: .seconds(40)) == 0)
        }
    }
}
