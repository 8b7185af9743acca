import Foundation
import Postgres
import TestSupport
import Testing

@testable import ConduitCore

/// A shape folder as an earlier release left it resumes after an upgrade with its handle, its rows
/// and its offsets: clients neither refetch nor miss a change. Two releases back: its definition
/// in `shape.json`, router's record in `router.json`, a version-1 `changes.log` with
/// `changes.idx`, a version-1 `snapshot.log` with `snapshot.state`. The previous release: the
/// document in a version-2 `changes.log`, with `changes.idx`.
@Suite(.enabled(if: TestDatabase.isAvailable, "needs PostgreSQL: run through scripts/test"), .timeLimit(.minutes(5)))
struct EarlierLayoutTests {
    /// Rewrites a version-3 change log (offsets in its frames) in the indexed layout of earlier
    /// releases: plain frames whose positions are in `changes.idx`, and a version-2
    /// `changes.chunks`. Version 2 keeps the document as the first frame; version 1 has none (the
    /// caller moves it to `shape.json`). The committed length stays what the state table says:
    /// the frames end where they ended, after zeros nothing reads (the index holds positions).
    static func reindex(_ folder: String, version: UInt8) throws {
        let files = ShapeLogFiles(directory: folder)
        let record = try #require(try StoredShapeDocument.read(folder: folder)["stateRecord"] as? Int)
        let handle = URL(fileURLWithPath: folder).lastPathComponent
        let table = URL(fileURLWithPath: folder).deletingLastPathComponent().path + "/.states"
        let location = ShapeStateLocation(table: table, record: record, handle: handle)
        let state = try #require(try ShapeLogReader(directory: folder, stateLocation: location).loadState()).changes
        let log = [UInt8](try Data(contentsOf: URL(fileURLWithPath: files.changeLog)))
        #expect(log[4] == ChangeLogLayout.offsetFramedVersion)
        let documentEnd = ShapeLogFormat.fileHeaderSize + ShapeLogFormat.frameHeaderSize
            + Int(log.loadInteger(UInt32.self, at: ShapeLogFormat.fileHeaderSize, .littleEndian))
        var entries: [(offset: LogOffset, payload: ArraySlice<UInt8>)] = []
        var position = documentEnd
        while position < Int(state.byteLength) {
            let length = Int(log.loadInteger(UInt32.self, at: position, .littleEndian))
            let offset = LogOffset(
                tx: Int64(bitPattern: log.loadInteger(UInt64.self, at: position + 8, .littleEndian)),
                op: log.loadInteger(UInt64.self, at: position + 16, .littleEndian))
            entries.append((offset, log[(position + 24)..<(position + 24 + length)]))
            position += ShapeLogFrameLayout.offsetFramed.frameSize(payload: length)
        }
        #expect(entries.count == Int(state.entryCount))
        var frames: [UInt8] = []
        var index = ShapeLogEntryTable.changeIndex().fileHeader
        let framesStart = UInt64(state.byteLength) - UInt64(entries.reduce(0) { $0 + ShapeLogFormat.frameHeaderSize + $1.payload.count })
        for entry in entries {
            ShapeLogEntryTable.changeIndex().append(
                UInt64(bitPattern: entry.offset.tx), entry.offset.op, framesStart + UInt64(frames.count), to: &index)
            ShapeLogFormat.appendFrame(Array(entry.payload), to: &frames)
        }
        var rewritten =
            version == 2
            ? Array(log[0..<documentEnd]) : [UInt8](repeating: 0, count: documentEnd)
        rewritten.replaceSubrange(0..<8, with: ShapeLogFormat.fileHeader(magic: ShapeLogFormat.changeLogMagic, version: version))
        rewritten += [UInt8](repeating: 0, count: Int(framesStart) - rewritten.count) + frames
        try Data(rewritten).write(to: URL(fileURLWithPath: files.changeLog))
        try Data(index).write(to: URL(fileURLWithPath: files.changeIndex))

        let chunks = ShapeLogEntryTable.changeChunks()
        var chunkTable = chunks.fileHeader
        if FileManager.default.fileExists(atPath: files.changeChunks) {
            let current = ShapeLogEntryTable.changeChunks(version: ShapeLogEntryTable.offsetChunksVersion)
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: files.changeChunks)))
            for ordinal in 0..<state.closedChunkCount {
                let start = Int(current.position(of: ordinal))
                let entry = Array(bytes[start..<(start + current.entrySize)])
                let fields = try current.decode(entry, ordinal: ordinal, path: files.changeChunks)
                chunks.append(fields.0, to: &chunkTable)
            }
        }
        try Data(chunkTable).write(to: URL(fileURLWithPath: files.changeChunks))
    }

    /// Rewrites the folder of a shape this release wrote in the layout of two releases back.
    static func downgrade(_ folder: String) throws {
        let files = ShapeLogFiles(directory: folder)
        var document = try StoredShapeDocument.read(folder: folder)
        let removed = document.removeValue(forKey: ShapeMetadata.routerRecordKey)
        let record = try #require(removed)
        try ChecksummedFile.write(path: files.metadata, payload: [UInt8](try JSONSerialization.data(withJSONObject: document)))
        try ChecksummedFile.write(path: folder + "/router.json", payload: [UInt8](try JSONSerialization.data(withJSONObject: record)))
        // A version-1 change log: no document, its entries' positions in `changes.idx`.
        try reindex(folder, version: 1)

        let state = try #require(try ShapeLogReader(directory: folder).loadSnapshotState())
        #expect(state.isComplete && state.framesStart == SnapshotStateSlots.framesStart)
        let log = [UInt8](try Data(contentsOf: URL(fileURLWithPath: files.snapshotLog)))
        let shift = SnapshotStateSlots.framesStart - UInt64(ShapeLogFormat.fileHeaderSize)
        let frames = log[Int(SnapshotStateSlots.framesStart)..<Int(try #require(state.chunkEnds.last))]
        try Data(ShapeLogFormat.fileHeader(magic: ShapeLogFormat.snapshotLogMagic, version: 1) + frames)
            .write(to: URL(fileURLWithPath: files.snapshotLog))
        let earlier = SnapshotState(chunkEnds: state.chunkEnds.map { $0 - shift }, isComplete: true)
        try Data(earlier.encoded()).write(to: URL(fileURLWithPath: files.snapshotState))
    }

    /// `release` 1: two releases back (`downgrade`); 2: the previous release, whose folder
    /// differs from this one's only in its indexed change log (``ChangeLogLayout`` version 2).
    @Test(arguments: [1, 2]) func aShapeInTheEarlierLayoutResumesWithItsHandle(release: Int) async throws {
        try await ItemsCluster.with(
            label: "oldlayout\(release)", seed: "INSERT INTO items SELECT g, 'seed ' || g FROM generate_series(1, 300) g",
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
            let folder = cluster.storageDirectory + "/shapes/" + handle
            if release == 1 { try Self.downgrade(folder) } else { try Self.reindex(folder, version: 2) }
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
