import Foundation
import TestSupport
import Testing

@testable import ConduitCore

/// `changes.idx` and `changes.chunks` entries carry a CRC-32C (version 2): a flipped bit in an
/// index is an error naming the file and entry, never a wrong byte range served; version-1 files
/// of an earlier release are still read and appended in their own layout. (Only logs of earlier
/// releases have `changes.idx`: these tests write the indexed layout, ``ChangeLogLayout``.)
struct ShapeLogEntryTableTests {
    typealias Support = ShapeLogTestSupport

    /// A shape log in the indexed layout with a finished snapshot and 20 change entries in chunks
    /// of ~3 entries.
    static func writeLog(_ directory: String) throws {
        try ChangeLogTests.finishedSnapshot(directory)
        let writer = try ChangeLogWriter(directory: directory, chunkThresholdBytes: 25, indexedLayout: true)
        for tx in 1...20 {
            try writer.append(offset: Support.offset("\(tx * 100)_0"), json: ChangeLogTests.entry("\(tx * 100)_0"))
            try writer.commit(appliedThroughLSN: LSN(UInt64(tx * 100)))
        }
    }

    static func flipByte(_ path: String, at offset: Int) throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[offset] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// Every change entry served, following the log chunk by chunk from the snapshot's end.
    static func offsets(_ reader: ShapeLogReader) throws -> [String] {
        var request = LogOffset.snapshotEnd
        var seen: [String] = []
        while let plan = Support.ready(try reader.plan(after: request)), plan.end > request {
            seen += Support.strings(try reader.readEntries(plan))
            request = plan.end
        }
        return seen
    }

    @Test func entriesRoundTripAndCarryTheirChecksum() throws {
        let table = ShapeLogEntryTable.changeIndex()
        var buffer: [UInt8] = []
        table.append(7, 8, 9, to: &buffer)
        #expect(buffer.count == table.entrySize && table.entrySize == 32)
        #expect(try table.decode(buffer, ordinal: 0, path: "x") == (7, 8, 9, 0))
        buffer[3] ^= 1
        #expect(throws: ShapeLogError.self) { try table.decode(buffer, ordinal: 0, path: "x") }

        let chunks = ShapeLogEntryTable.changeChunks()
        buffer = []
        chunks.append(42, to: &buffer)
        #expect(buffer.count == 16)
        #expect(try chunks.decode(buffer, ordinal: 0, path: "x").0 == 42)

        // Beside a version-3 change log: ordinal, end position and last offset.
        let offsetChunks = ShapeLogEntryTable.changeChunks(version: ShapeLogEntryTable.offsetChunksVersion)
        buffer = []
        offsetChunks.append(1, 2, 3, 4, to: &buffer)
        #expect(buffer.count == offsetChunks.entrySize && buffer.count == 40)
        #expect(try offsetChunks.decode(buffer, ordinal: 0, path: "x") == (1, 2, 3, 4))
        #expect(throws: ShapeLogError.self) { try offsetChunks.reading(header: chunks.fileHeader, path: "x") }
        #expect(throws: ShapeLogError.self) { try chunks.reading(header: offsetChunks.fileHeader, path: "x") }
    }

    @Test func aFlippedByteInTheIndexIsReportedNotServed() throws {
        try Support.withTemporaryDirectory { directory in
            try Self.writeLog(directory)
            let files = ShapeLogFiles(directory: directory)
            let table = ShapeLogEntryTable.changeIndex()
            // The `position` field of entry 10: a wrong byte range if it were trusted.
            try Self.flipByte(files.changeIndex, at: Int(table.position(of: 10)) + 16)
            let reader = ShapeLogReader(directory: directory)
            #expect {
                _ = try Self.offsets(reader)
            } throws: { error in
                guard case .corrupt(let path, let detail) = error as? ShapeLogError else { return false }
                return path == files.changeIndex && detail.contains("checksum mismatch in entry 10")
            }
        }
    }

    @Test func aFlippedByteInTheChunkTableIsReportedNotServed() throws {
        try Support.withTemporaryDirectory { directory in
            try Self.writeLog(directory)
            let files = ShapeLogFiles(directory: directory)
            try Self.flipByte(files.changeChunks, at: Int(ShapeLogEntryTable.changeChunks().position(of: 0)))
            #expect {
                _ = try Self.offsets(ShapeLogReader(directory: directory))
            } throws: { error in
                guard case .corrupt(let path, let detail) = error as? ShapeLogError else { return false }
                return path == files.changeChunks && detail.contains("checksum mismatch")
            }
        }
    }

    /// Rewrites a version-2 table file in version 1 (no checksums), as an earlier release wrote it.
    static func downgrade(_ path: String, _ table: ShapeLogEntryTable, entries: UInt64) throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let old = ShapeLogEntryTable(magic: table.magic, fields: table.fields, version: 1)
        var rewritten = old.fileHeader
        for ordinal in 0..<entries {
            let start = Int(table.position(of: ordinal))
            let (a, b, c, _) = try table.decode(Array(bytes[start..<(start + table.entrySize)]), ordinal: ordinal, path: path)
            old.append(a, b, c, to: &rewritten)
        }
        try Data(rewritten).write(to: URL(fileURLWithPath: path))
    }

    @Test func versionOneIndexesAreReadAndAppendedInTheirOwnLayout() throws {
        try Support.withTemporaryDirectory { directory in
            try Self.writeLog(directory)
            let files = ShapeLogFiles(directory: directory)
            let reader = ShapeLogReader(directory: directory)
            let expected = try Self.offsets(reader)
            let state = try #require(try reader.loadState()).changes
            try Self.downgrade(files.changeIndex, .changeIndex(), entries: state.entryCount)
            try Self.downgrade(files.changeChunks, .changeChunks(), entries: state.closedChunkCount)
            #expect(try Self.offsets(reader) == expected)

            let writer = try ChangeLogWriter(directory: directory, chunkThresholdBytes: 25)
            for tx in 21...25 {
                try writer.append(offset: Support.offset("\(tx * 100)_0"), json: ChangeLogTests.entry("\(tx * 100)_0"))
                try writer.commit(appliedThroughLSN: LSN(UInt64(tx * 100)))
            }
            let all = try Self.offsets(reader)
            #expect(all.count == 25)
            #expect(Array(all.prefix(expected.count)) == expected)
            // Appended as version 1: 24-byte entries, then only the zero padding.
            let index = [UInt8](try Data(contentsOf: URL(fileURLWithPath: files.changeIndex)))
            #expect(index[4] == 1)
            #expect(index[(8 + 24 * 24)..<(8 + 24 * 25)].contains { $0 != 0 })
            #expect(index[(8 + 24 * 25)...].allSatisfy { $0 == 0 })
        }
    }
}
