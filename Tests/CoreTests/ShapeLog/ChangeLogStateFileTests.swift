import Foundation
import TestSupport
import Testing

@testable import ConduitCore

/// `changes.state` in two alternating, checksummed slots (``ChangeLogStateFile``).
struct ChangeLogStateFileTests {
    typealias Support = ShapeLogTestSupport

    static func stateBytes(_ directory: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: ShapeLogFiles(directory: directory).changeState)))
    }

    static func writeState(_ bytes: [UInt8], _ directory: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: ShapeLogFiles(directory: directory).changeState))
    }

    /// A finished snapshot and `count` committed one-entry transactions at LSNs 10, 20, ….
    static func writer(_ directory: String, commits count: Int) throws -> ChangeLogWriter {
        try ChangeLogTests.finishedSnapshot(directory)
        let writer = try ChangeLogWriter(directory: directory, chunkThresholdBytes: 1 << 20)
        for tx in 0..<count {
            let offset = LogOffset(tx: Int64(tx * 10 + 10), op: 0)
            try writer.append(offset: offset, json: ChangeLogTests.entry(offset.description))
            try writer.commit(appliedThroughLSN: LSN(UInt64(tx * 10 + 10)))
        }
        return writer
    }

    @Test func slotsAlternateAcrossManyCommits() throws {
        try Support.withTemporaryDirectory { directory in
            let writer = try Self.writer(directory, commits: 0)
            let reader = ShapeLogReader(directory: directory)
            var previous = writer.committedState
            for tx in 1...40 {
                let offset = LogOffset(tx: Int64(tx), op: 0)
                try writer.append(offset: offset, json: ChangeLogTests.entry(offset.description))
                if tx % 2 == 0 {
                    try writer.commit(appliedThroughLSN: LSN(UInt64(tx)))
                } else {
                    try ChangeLogWriter.commit([writer], appliedThroughLSN: LSN(UInt64(tx)))
                }
                let bytes = try Self.stateBytes(directory)
                #expect(bytes.count == ChangeLogStateFile.fileSize)
                let sequence = UInt64(tx)
                let newest = try #require(ChangeLogStateFile.decodeSlot(bytes, at: Int(ChangeLogStateFile.slotOffset(sequence: sequence))))
                let older = try #require(
                    ChangeLogStateFile.decodeSlot(bytes, at: Int(ChangeLogStateFile.slotOffset(sequence: sequence - 1))))
                #expect(newest == .init(sequence: sequence, state: writer.committedState))
                #expect(older == .init(sequence: sequence - 1, state: previous))
                #expect(try reader.loadState()?.changes == writer.committedState)
                previous = writer.committedState
            }
            #expect(try ConcurrentReadTests.readAll(reader).count == 40)
        }
    }

    /// A slot torn by a crash mid-write (or any corruption) fails its CRC: readers and recovery
    /// use the other slot, the previous commit, and the recovered writer overwrites the newer data.
    @Test(arguments: [8, 20, 71, 74])
    func tornSlotFallsBackToThePreviousState(flippedByte: Int) throws {
        try Support.withTemporaryDirectory { directory in
            let writer = try Self.writer(directory, commits: 2)
            let latestSequence = writer.stateSequence
            var bytes = try Self.stateBytes(directory)
            bytes[Int(ChangeLogStateFile.slotOffset(sequence: latestSequence)) + flippedByte] ^= 0x5A
            try Self.writeState(bytes, directory)

            let state = try #require(try ShapeLogReader(directory: directory).loadState())
            #expect(state.changes.latest == LogOffset(tx: 10, op: 0))
            #expect(state.changes.entryCount == 1)

            let recovered = try ChangeLogWriter(directory: directory, chunkThresholdBytes: 1 << 20)
            #expect(recovered.committedState == state.changes)
            #expect(recovered.stateSequence == latestSequence - 1)
            // The next commit overwrites the corrupt slot, not the good one.
            try recovered.append(offset: LogOffset(tx: 30, op: 0), json: ChangeLogTests.entry("30_0"))
            try recovered.commit(appliedThroughLSN: LSN(30))
            let reader = ShapeLogReader(directory: directory)
            #expect(
                try ConcurrentReadTests.readAll(reader)
                    == ["10_0", "30_0"].map { String(decoding: ChangeLogTests.entry($0), as: UTF8.self) })
        }
    }

    @Test func fileWithoutAValidSlotIsCorrupt() throws {
        try Support.withTemporaryDirectory { directory in
            _ = try Self.writer(directory, commits: 1)
            var bytes = try Self.stateBytes(directory)
            for slot in 1...2 { bytes[ChangeLogStateFile.slotSize * slot] ^= 1 }
            try Self.writeState(bytes, directory)
            #expect(throws: ShapeLogError.self) { try ShapeLogReader(directory: directory).loadState() }
            #expect(throws: ShapeLogError.self) { try ChangeLogWriter(directory: directory, chunkThresholdBytes: 100) }
        }
    }

    /// router dies after writing (even flushing) a commit's data but before its state slot:
    /// readers never see the data, and the recovered writer overwrites it.
    @Test func crashBetweenDataAndStateWriteRecoversTheOldState() throws {
        try Support.withTemporaryDirectory { directory in
            let committed: ChangeLogCommittedState
            do {
                let writer = try Self.writer(directory, commits: 1)
                committed = writer.committedState
                try writer.append(offset: LogOffset(tx: 20, op: 0), json: ChangeLogTests.entry("20_0"))
                try writer.append(offset: LogOffset(tx: 20, op: 2), json: ChangeLogTests.entry("20_2"))
                #expect(try writer.prepareGroupCommit(appliedThroughLSN: LSN(20)))
                try writer.syncDataFiles()
                // Crash: the state slot is never written.
            }
            let files = ShapeLogFiles(directory: directory)
            let grown = try FileManager.default.attributesOfItem(atPath: files.changeLog)[.size] as! Int
            #expect(UInt64(grown) > committed.byteLength)
            #expect(try ShapeLogReader(directory: directory).loadState()?.changes == committed)

            let recovered = try ChangeLogWriter(directory: directory, chunkThresholdBytes: 1 << 20)
            #expect(recovered.committedState == committed)
            #expect(try ShapeLogReader(directory: directory).loadState()?.changes == committed)

            // Replay writes a shorter entry over the lost ones: only it is read back.
            try recovered.append(offset: LogOffset(tx: 20, op: 0), json: Array("{}".utf8))
            try recovered.commit(appliedThroughLSN: LSN(20))
            let reader = ShapeLogReader(directory: directory)
            let plan = try #require(Support.ready(try reader.plan(after: LogOffset(tx: 10, op: 0))))
            #expect(Support.strings(try reader.readEntries(plan)) == ["{}"])
        }
    }

    /// A crash halfway through the slot write: the first half of the new slot is on disk.
    @Test func halfWrittenSlotRecoversTheOldState() throws {
        try Support.withTemporaryDirectory { directory in
            let writer = try Self.writer(directory, commits: 1)
            let committed = writer.committedState
            var next = committed
            next.entryCount += 1
            next.byteLength += 100
            let slot = ChangeLogStateFile.encodeSlot(next, sequence: writer.stateSequence + 1)
            var bytes = try Self.stateBytes(directory)
            let offset = Int(ChangeLogStateFile.slotOffset(sequence: writer.stateSequence + 1))
            bytes.replaceSubrange(offset..<(offset + 40), with: slot[0..<40])
            try Self.writeState(bytes, directory)
            #expect(try ShapeLogReader(directory: directory).loadState()?.changes == committed)
            #expect(try ChangeLogWriter(directory: directory, chunkThresholdBytes: 1 << 20).committedState == committed)
        }
    }

    /// A version-1 `changes.state` (one state, replaced by rename) is read and upgraded in place.
    @Test func versionOneStateIsReadAndUpgraded() throws {
        try Support.withTemporaryDirectory { directory in
            let writer = try Self.writer(directory, commits: 2)
            let committed = writer.committedState
            var legacy = ShapeLogFormat.changeStateMagic + [1, 1, 0, 0]
            for value in [
                committed.byteLength, committed.entryCount, committed.closedChunkCount, 20, 0,
                committed.appliedThroughLSN.value, committed.openChunkBytes,
            ] {
                legacy.appendInteger(value, .littleEndian)
            }
            legacy.appendInteger(CRC32C.checksum(legacy), .littleEndian)
            try Self.writeState(legacy, directory)
            #expect(try ShapeLogReader(directory: directory).loadState()?.changes == committed)
            let upgraded = try ChangeLogWriter(directory: directory, chunkThresholdBytes: 1 << 20)
            #expect(upgraded.committedState == committed)
            #expect(try Self.stateBytes(directory).count == ChangeLogStateFile.fileSize)
            try upgraded.append(offset: LogOffset(tx: 30, op: 0), json: ChangeLogTests.entry("30_0"))
            try upgraded.commit(appliedThroughLSN: LSN(30))
            #expect(try ConcurrentReadTests.readAll(ShapeLogReader(directory: directory)).count == 3)
        }
    }
}
