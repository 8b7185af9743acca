import Foundation
import TestSupport
import Synchronization
import Testing

@testable import ConduitCore

struct SnapshotLogTests {
    typealias Support = ShapeLogTestSupport

    @Test func unpublishedSnapshotIsNotReady() throws {
        try Support.withTemporaryDirectory { directory in
            let writer = try SnapshotWriter(directory: directory, chunkThresholdBytes: 1000)
            try writer.append(row: Support.json("{\"a\":1}"))
            try writer.publishProgress()
            try writer.waitForPublications()
            #expect(try ShapeLogReader(directory: directory).plan(after: .beforeAll) == .notReady)
        }
    }

    @Test func smallSnapshotIsOneChunkEndingWithSnapshotEnd() throws {
        try Support.withTemporaryDirectory { directory in
            let writer = try SnapshotWriter(directory: directory, chunkThresholdBytes: 1000)
            try writer.append(row: Support.json("{\"a\":1}"))
            try writer.append(row: Support.json("{\"a\":2}"))
            try writer.finish(snapshotEnd: Support.json("{\"end\":true}"))
            let reader = ShapeLogReader(directory: directory)
            let plan = try #require(Support.ready(try reader.plan(after: .beforeAll)))
            #expect(plan.end == Support.offset("0_0"))
            #expect(!plan.isUpToDate)
            #expect(Support.strings(try reader.readEntries(plan)) == ["{\"a\":1}", "{\"a\":2}", "{\"end\":true}"])
            #expect(String(decoding: try reader.readJoined(plan), as: UTF8.self) == "{\"a\":1},{\"a\":2},{\"end\":true}")

            let next = try #require(Support.ready(try reader.plan(after: Support.offset("0_0"))))
            #expect(next.end == Support.offset("0_0"))
            #expect(next.isUpToDate)
            #expect(!next.hasEntries)
        }
    }

    /// Protocol.md §7.4: rows of 0.6, 0.7 and 0.4 × threshold: the second row closes chunk 0
    /// (61 + 71 ≥ 100), the third row and `snapshot-end` form chunk 1.
    @Test func chunkClosesWhenRunningCountReachesThreshold() throws {
        try Support.withTemporaryDirectory { directory in
            let writer = try SnapshotWriter(directory: directory, chunkThresholdBytes: 100)
            try writer.append(row: Support.row(1, size: 60))
            try writer.append(row: Support.row(2, size: 70))
            try writer.append(row: Support.row(3, size: 40))
            try writer.finish(snapshotEnd: Support.json("{\"end\":true}"))
            let reader = ShapeLogReader(directory: directory)
            let first = try #require(Support.ready(try reader.plan(after: .beforeAll)))
            #expect(try reader.readEntries(first).count == 2)
            let second = try #require(Support.ready(try reader.plan(after: first.end)))
            #expect(second.end == Support.offset("0_1"))
            #expect(second.isUpToDate)
            #expect(try reader.readEntries(second).count == 2)
        }
    }

    /// `json.count + 1` is what counts: a 99-byte row reaches a 100-byte threshold exactly.
    @Test func thresholdCountsOneExtraBytePerRow() throws {
        try Support.withTemporaryDirectory { directory in
            let writer = try SnapshotWriter(directory: directory, chunkThresholdBytes: 100)
            try writer.append(row: Support.row(1, size: 99))
            try writer.append(row: Support.row(2, size: 98))
            try writer.append(row: Support.row(3, size: 30))
            try writer.finish(snapshotEnd: Support.json("{\"end\":true}"))
            let state = try #require(try ShapeLogReader(directory: directory).loadState())
            // Chunk 0: row 1 (100); chunk 1: rows 2 and 3 (99 + 31); chunk 2: snapshot-end alone.
            #expect(state.snapshot.chunkEnds.count == 3)
            let reader = ShapeLogReader(directory: directory)
            let last = try #require(Support.ready(try reader.plan(after: Support.offset("0_1"))))
            #expect(Support.strings(try reader.readEntries(last)) == ["{\"end\":true}"])
        }
    }

    /// Protocol.md §7.4 router test: 10-byte chunks give `[row]` then `[snapshot-end]`.
    @Test func lastRowClosingAChunkLeavesSnapshotEndAlone() throws {
        try Support.withTemporaryDirectory { directory in
            let writer = try SnapshotWriter(directory: directory, chunkThresholdBytes: 10)
            try writer.append(row: Support.row(1, size: 30))
            try writer.finish(snapshotEnd: Support.json("{\"end\":true}"))
            let reader = ShapeLogReader(directory: directory)
            let first = try #require(Support.ready(try reader.plan(after: .beforeAll)))
            #expect(try reader.readEntries(first).count == 1)
            let second = try #require(Support.ready(try reader.plan(after: first.end)))
            #expect(Support.strings(try reader.readEntries(second)) == ["{\"end\":true}"])
            #expect(second.isUpToDate)
        }
    }

    @Test func emptySnapshotHasOnlySnapshotEnd() throws {
        try Support.withTemporaryDirectory { directory in
            let writer = try SnapshotWriter(directory: directory, chunkThresholdBytes: 10)
            try writer.finish(snapshotEnd: Support.json("{\"end\":true}"))
            let reader = ShapeLogReader(directory: directory)
            let plan = try #require(Support.ready(try reader.plan(after: .beforeAll)))
            #expect(Support.strings(try reader.readEntries(plan)) == ["{\"end\":true}"])
        }
    }

    @Test func progressPublishesCompletedChunksOnly() throws {
        try Support.withTemporaryDirectory { directory in
            let writer = try SnapshotWriter(directory: directory, chunkThresholdBytes: 50)
            try writer.append(row: Support.row(1, size: 60))
            try writer.append(row: Support.row(2, size: 20))
            try writer.publishProgress()
            try writer.waitForPublications()
            let reader = ShapeLogReader(directory: directory)
            let first = try #require(Support.ready(try reader.plan(after: .beforeAll)))
            #expect(try reader.readEntries(first).count == 1)
            #expect(!first.isUpToDate)
            // Chunk 1 is still open and the snapshot unfinished: the caller must wait.
            #expect(try reader.plan(after: first.end) == .notReady)
            #expect(try reader.plan(after: .snapshotEnd) == .notReady)
            try writer.finish(snapshotEnd: Support.json("{\"end\":true}"))
            let second = try #require(Support.ready(try reader.plan(after: first.end)))
            #expect(try reader.readEntries(second).count == 2)
        }
    }

    @Test func newWriterDiscardsAnUnfinishedSnapshot() throws {
        try Support.withTemporaryDirectory { directory in
            let writer = try SnapshotWriter(directory: directory, chunkThresholdBytes: 10)
            try writer.append(row: Support.row(1, size: 30))
            try writer.publishProgress()
            try writer.waitForPublications()
            _ = try SnapshotWriter(directory: directory, chunkThresholdBytes: 10)
            #expect(try ShapeLogReader(directory: directory).plan(after: .beforeAll) == .notReady)
        }
    }

    /// A publication runs on the writer's queue: its callback comes once readers see the chunk,
    /// and the copy goes on meanwhile.
    @Test func publicationCallbackComesOnceTheChunkIsVisible() throws {
        try Support.withTemporaryDirectory { directory in
            let writer = try SnapshotWriter(directory: directory, chunkThresholdBytes: 50)
            try writer.append(row: Support.row(1, size: 60))
            let seen = Mutex<ShapeLogPlanResult?>(nil)
            try writer.publishProgress {
                seen.withLock { $0 = try? ShapeLogReader(directory: directory).plan(after: .beforeAll) }
            }
            try writer.append(row: Support.row(2, size: 60))
            try writer.waitForPublications()
            let result = try #require(seen.withLock { $0 })
            let plan = try #require(Support.ready(result))
            #expect(try ShapeLogReader(directory: directory).readEntries(plan).count == 1)
        }
    }

    /// A publication that fails (here its folder is gone when, past what a slot of the log
    /// holds, it writes `snapshot.state`) fails the writer's next call.
    @Test func failedPublicationFailsTheNextCall() throws {
        try Support.withTemporaryDirectory { directory in
            let folder = directory + "/shape"
            try FileSystem.createDirectory(folder)
            let writer = try SnapshotWriter(directory: folder, chunkThresholdBytes: 50)
            for id in 0...SnapshotStateSlots.capacity { try writer.append(row: Support.row(id, size: 60)) }
            try FileManager.default.removeItem(atPath: folder)
            try writer.publishProgress()
            #expect(throws: ShapeLogError.self) { try writer.waitForPublications() }
            #expect(throws: ShapeLogError.self) { try writer.finish(snapshotEnd: Support.json("{\"end\":true}")) }
        }
    }

    @Test func writerRejectsAppendAfterFinish() throws {
        try Support.withTemporaryDirectory { directory in
            let writer = try SnapshotWriter(directory: directory, chunkThresholdBytes: 10)
            try writer.finish(snapshotEnd: Support.json("{}"))
            #expect(throws: ShapeLogError.self) { try writer.append(row: Support.json("{}")) }
        }
    }

    @Test func corruptedFrameIsDetected() throws {
        try Support.withTemporaryDirectory { directory in
            let writer = try SnapshotWriter(directory: directory, chunkThresholdBytes: 1000)
            try writer.append(row: Support.json("{\"a\":\"hello\"}"))
            try writer.finish(snapshotEnd: Support.json("{}"))
            let path = ShapeLogFiles(directory: directory).snapshotLog
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            bytes[Int(SnapshotStateSlots.framesStart) + 12] ^= 0xFF
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let reader = ShapeLogReader(directory: directory)
            let plan = try #require(Support.ready(try reader.plan(after: .beforeAll)))
            #expect(throws: ShapeLogError.self) { try reader.readEntries(plan) }
        }
    }
}

struct ShapeLogEntryCursorTests {
    typealias Support = ShapeLogTestSupport

    /// Small windows, a frame larger than the window, and the same entries as a whole read.
    @Test(arguments: [1, 50, 100, 1 << 20])
    func cursorReturnsEveryEntryInOrder(window: Int) throws {
        try Support.withTemporaryDirectory { directory in
            let snapshot = try SnapshotWriter(directory: directory, chunkThresholdBytes: 1 << 20)
            for id in 0..<10 { try snapshot.append(row: Support.row(id, size: 30 + id * 20)) }
            try snapshot.finish(snapshotEnd: Support.json("{\"end\":true}"))
            let changes = try ChangeLogWriter(directory: directory, chunkThresholdBytes: 1 << 20)
            for op in 0..<7 { try changes.append(offset: LogOffset(tx: 9, op: UInt64(op * 2)), json: Support.row(op, size: 25 + op * 40)) }
            try changes.commit(appliedThroughLSN: LSN(9))
            let reader = ShapeLogReader(directory: directory)
            for offset in [LogOffset.beforeAll, .snapshotEnd] {
                let plan = try #require(Support.ready(try reader.plan(after: offset)))
                var cursor = ShapeLogEntryCursor(plan: plan, reader: reader)
                var streamed: [ArraySlice<UInt8>] = []
                while let batch = try cursor.next(maxBytes: window) { streamed += batch }
                #expect(Support.strings(streamed) == Support.strings(try reader.readEntries(plan)))
                #expect(cursor.isFinished)
                // The joined windows, put together with commas, are the same entries.
                var joinedCursor = ShapeLogEntryCursor(plan: plan, reader: reader)
                var windows: [String] = []
                var entries = 0
                while let joined = try joinedCursor.nextJoined(maxBytes: window) {
                    windows.append(String(decoding: joined.json, as: UTF8.self))
                    entries += joined.entries
                }
                #expect(windows.joined(separator: ",") == Support.strings(streamed).joined(separator: ","))
                #expect(entries == streamed.count)
                #expect(joinedCursor.isFinished)
            }
        }
    }

    /// Reading into the caller's memory: an entry larger than the destination is reported with
    /// the size it needs and the cursor stays put; with that much room it is read.
    @Test func joinedReadIntoMemoryAsksForRoomForALargeEntry() throws {
        try Support.withTemporaryDirectory { directory in
            let snapshot = try SnapshotWriter(directory: directory, chunkThresholdBytes: 1 << 20)
            try snapshot.append(row: Support.row(0, size: 30))
            try snapshot.append(row: Support.row(1, size: 500))
            try snapshot.finish(snapshotEnd: Support.json("{\"end\":true}"))
            let reader = ShapeLogReader(directory: directory)
            let plan = try #require(Support.ready(try reader.plan(after: .beforeAll)))
            let expected = Support.strings(try reader.readEntries(plan))
            var cursor = ShapeLogEntryCursor(plan: plan, reader: reader)
            var memory = [UInt8](repeating: 0, count: 1024)
            var read: [String] = []
            var capacity = 100
            while true {
                let outcome = try memory.withUnsafeMutableBytes { raw in
                    try cursor.nextJoined(into: UnsafeMutableRawBufferPointer(rebasing: raw[..<capacity]))
                }
                guard let outcome else { break }
                switch outcome {
                case .joined(let bytes, let entries):
                    #expect(entries == 1)
                    read.append(String(decoding: memory[..<bytes], as: UTF8.self))
                case .needsCapacity(let needed):
                    #expect(read.count == 1 && needed > capacity, "only the large entry asks for room")
                    let again = try memory.withUnsafeMutableBytes { raw in
                        try cursor.nextJoined(into: UnsafeMutableRawBufferPointer(rebasing: raw[..<capacity]))
                    }
                    #expect(again == .needsCapacity(needed), "the cursor did not move")
                    capacity = needed
                }
            }
            #expect(read == expected)
            #expect(cursor.isFinished)
        }
    }

    /// A flipped byte in a stored entry fails the joined read too (it is checked before it is
    /// moved), naming the file.
    @Test func joinedReadRefusesADamagedEntry() throws {
        try Support.withTemporaryDirectory { directory in
            let snapshot = try SnapshotWriter(directory: directory, chunkThresholdBytes: 1 << 20)
            for id in 0..<5 { try snapshot.append(row: Support.row(id, size: 40)) }
            try snapshot.finish(snapshotEnd: Support.json("{\"end\":true}"))
            let reader = ShapeLogReader(directory: directory)
            let plan = try #require(Support.ready(try reader.plan(after: .beforeAll)))
            let file = try PosixFile(path: reader.files.snapshotLog, flags: O_RDWR)
            let position = SnapshotStateSlots.framesStart + UInt64(ShapeLogFormat.frameHeaderSize + 3)
            let byte = try #require(try file.readExactly(count: 1, at: position))
            try file.write([byte[0] ^ 0x20], at: position)
            var cursor = ShapeLogEntryCursor(plan: plan, reader: reader)
            #expect {
                _ = try cursor.nextJoined(maxBytes: 1 << 20)
            } throws: { error in
                guard case .corrupt(let path, let detail) = error as? ShapeLogError else { return false }
                return path == reader.files.snapshotLog && detail.contains("checksum mismatch")
            }
        }
    }

    @Test func cursorOverAnEmptyPlanIsDone() throws {
        try Support.withTemporaryDirectory { directory in
            let snapshot = try SnapshotWriter(directory: directory, chunkThresholdBytes: 100)
            try snapshot.finish(snapshotEnd: Support.json("{}"))
            let reader = ShapeLogReader(directory: directory)
            let plan = try #require(Support.ready(try reader.plan(after: LogOffset(tx: 0, op: 0))))
            var cursor = ShapeLogEntryCursor(plan: plan, reader: reader)
            #expect(try cursor.next() == nil)
        }
    }
}
