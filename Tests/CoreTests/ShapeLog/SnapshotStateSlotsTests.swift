import Foundation
import TestSupport
import Testing

@testable import ConduitCore

/// A snapshot's published state lives in two slots at the start of `snapshot.log` (version 2):
/// one file per snapshot while the slots hold it, `snapshot.state` beyond, and the logs of
/// earlier releases (version 1, with `snapshot.state`) still read.
struct SnapshotStateSlotsTests {
    typealias Support = ShapeLogTestSupport

    /// Every row of every chunk the reader plans from `.beforeAll` on, in order.
    static func allRows(_ directory: String) throws -> [String] {
        let reader = ShapeLogReader(directory: directory)
        var rows: [String] = []
        var offset = LogOffset.beforeAll
        while true {
            let plan = try #require(Support.ready(try reader.plan(after: offset)))
            rows += Support.strings(try reader.readEntries(plan))
            if plan.isUpToDate { return rows }
            offset = plan.end
        }
    }

    @Test func aSmallSnapshotIsOneFile() throws {
        try Support.withTemporaryDirectory { directory in
            let writer = try SnapshotWriter(directory: directory, chunkThresholdBytes: 100)
            for id in 0..<5 { try writer.append(row: Support.row(id, size: 60)) }
            try writer.finish(snapshotEnd: Support.json("{\"end\":true}"))
            let files = ShapeLogFiles(directory: directory)
            #expect(!FileManager.default.fileExists(atPath: files.snapshotState))
            let state = try #require(try ShapeLogReader(directory: directory).loadSnapshotState())
            #expect(state.isComplete)
            #expect(state.chunkEnds.count == 3)
            #expect(state.framesStart == SnapshotStateSlots.framesStart)
            let expected = (0..<5).map { String(decoding: Support.row($0, size: 60), as: UTF8.self) } + ["{\"end\":true}"]
            #expect(try Self.allRows(directory) == expected)
        }
    }

    /// Publications alternate between the slots: a torn or damaged latest slot leaves the
    /// previous publication standing, never a state that is not one.
    @Test func aDamagedLatestSlotLeavesThePreviousPublication() throws {
        try Support.withTemporaryDirectory { directory in
            let writer = try SnapshotWriter(directory: directory, chunkThresholdBytes: 50)
            try writer.append(row: Support.row(1, size: 60))
            try writer.publishProgress()
            try writer.waitForPublications()
            try writer.append(row: Support.row(2, size: 60))
            try writer.append(row: Support.row(3, size: 60))
            try writer.publishProgress()
            try writer.waitForPublications()
            let reader = ShapeLogReader(directory: directory)
            #expect(try reader.loadSnapshotState()?.chunkEnds.count == 3)
            let file = try PosixFile(path: reader.files.snapshotLog, flags: O_RDWR)
            let latest = SnapshotStateSlots.offset(sequence: 2) + 13
            let byte = try #require(try file.readExactly(count: 1, at: latest))
            try file.write([byte[0] ^ 0x01], at: latest)
            let previous = try #require(try reader.loadSnapshotState())
            #expect(previous.chunkEnds.count == 1)
            #expect(!previous.isComplete)
            // A log whose slots were never written has published nothing.
            try file.write([UInt8](repeating: 0, count: 2 * SnapshotStateSlots.slotSize), at: UInt64(SnapshotStateSlots.regionStart))
            #expect(try reader.loadSnapshotState() == nil)
        }
    }

    /// More chunks than a slot holds: the state continues in `snapshot.state`, which readers
    /// take first, with chunk 0 still after the slots.
    @Test func aSnapshotOfMoreChunksThanASlotHoldsContinuesInTheStateFile() throws {
        try Support.withTemporaryDirectory { directory in
            let writer = try SnapshotWriter(directory: directory, chunkThresholdBytes: 50)
            let count = SnapshotStateSlots.capacity + 10
            for id in 0..<count { try writer.append(row: Support.row(id, size: 60)) }
            try writer.finish(snapshotEnd: Support.json("{\"end\":true}"))
            #expect(FileManager.default.fileExists(atPath: ShapeLogFiles(directory: directory).snapshotState))
            let state = try #require(try ShapeLogReader(directory: directory).loadSnapshotState())
            #expect(state.chunkEnds.count == count + 1)
            #expect(state.framesStart == SnapshotStateSlots.framesStart)
            let expected = (0..<count).map { String(decoding: Support.row($0, size: 60), as: UTF8.self) } + ["{\"end\":true}"]
            #expect(try Self.allRows(directory) == expected)
        }
    }

    /// A snapshot an earlier release wrote: a version-1 log (frames right after the header) and
    /// `snapshot.state`.
    @Test func aVersionOneSnapshotStillReads() throws {
        try Support.withTemporaryDirectory { directory in
            let files = ShapeLogFiles(directory: directory)
            var log = ShapeLogFormat.fileHeader(magic: ShapeLogFormat.snapshotLogMagic, version: 1)
            ShapeLogFormat.appendFrame(Support.row(1, size: 40), to: &log)
            let firstChunk = UInt64(log.count)
            ShapeLogFormat.appendFrame(Support.json("{\"end\":true}"), to: &log)
            try Data(log).write(to: URL(fileURLWithPath: files.snapshotLog))
            #expect(try ShapeLogReader(directory: directory).loadSnapshotState() == nil)
            let state = SnapshotState(chunkEnds: [firstChunk, UInt64(log.count)], isComplete: true)
            try Data(state.encoded()).write(to: URL(fileURLWithPath: files.snapshotState))
            #expect(try ShapeLogReader(directory: directory).loadSnapshotState() == state)
            #expect(try Self.allRows(directory) == [String(decoding: Support.row(1, size: 40), as: UTF8.self), "{\"end\":true}"])
        }
    }
}
