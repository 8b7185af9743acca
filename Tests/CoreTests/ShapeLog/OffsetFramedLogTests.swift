import Foundation
import TestSupport
import Testing

@testable import ConduitCore

/// A version-3 change log (``ChangeLogLayout``) keeps each entry's offset in its frame and has no
/// `changes.idx`: readers walk back from a chunk's end. Differential: every request gets the
/// same answer from it as from the indexed layout of earlier releases holding the same entries,
/// and a damaged offset, trailer or chunk entry is reported, never served.
struct OffsetFramedLogTests {
    typealias Support = ShapeLogTestSupport

    /// The same pseudo-random transactions (sizes 10 B–3 KB, 1–6 entries, chunks of ~2 KB) in a
    /// log of each layout; returns every committed offset.
    static func writeBoth(_ offsetFramed: String, _ indexed: String, transactions: Int = 60, seed: UInt64 = 7) throws -> [LogOffset] {
        try ChangeLogTests.finishedSnapshot(offsetFramed)
        try ChangeLogTests.finishedSnapshot(indexed)
        let writers = [
            try ChangeLogWriter(directory: offsetFramed, chunkThresholdBytes: 2048),
            try ChangeLogWriter(directory: indexed, chunkThresholdBytes: 2048, indexedLayout: true),
        ]
        var state = seed
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        var offsets: [LogOffset] = []
        for tx in 1...transactions {
            let count = Int(next() % 6) + 1
            for op in 0..<count {
                let offset = LogOffset(tx: Int64(tx * 1000), op: UInt64(op * 2))
                let json = ChangeLogTests.entry(offset.description, size: 10 + Int(next() % 3000))
                for writer in writers { try writer.append(offset: offset, json: json) }
                offsets.append(offset)
            }
            try ChangeLogWriter.commit(writers, appliedThroughLSN: LSN(UInt64(tx * 1000)))
        }
        return offsets
    }

    /// What a response after `request` says and carries, layout aside.
    static func answer(_ reader: ShapeLogReader, after request: LogOffset) throws -> String {
        switch try reader.plan(after: request) {
        case .notReady: return "not ready"
        case .outOfBounds(let latest): return "out of bounds \(latest)"
        case .ready(let plan):
            let entries = Support.strings(try reader.readEntries(plan))
            var cursor = ShapeLogEntryCursor(plan: plan, reader: reader)
            var joined: [String] = []
            while let window = try cursor.nextJoined(maxBytes: 4096) { joined.append(String(decoding: window.json, as: UTF8.self)) }
            #expect(joined.joined(separator: ",") == entries.joined(separator: ","))
            return "\(plan.end) \(plan.isUpToDate) \(plan.latest) \(entries)"
        }
    }

    @Test func everyRequestIsAnsweredAsTheIndexedLayoutAnswersIt() throws {
        try Support.withTemporaryDirectory { offsetFramed in
            try Support.withTemporaryDirectory { indexed in
                let offsets = try Self.writeBoth(offsetFramed, indexed)
                #expect(!FileManager.default.fileExists(atPath: ShapeLogFiles(directory: offsetFramed).changeIndex))
                #expect(FileManager.default.fileExists(atPath: ShapeLogFiles(directory: indexed).changeIndex))
                let chunks = [UInt8](try Data(contentsOf: URL(fileURLWithPath: ShapeLogFiles(directory: offsetFramed).changeChunks)))
                #expect(chunks[4] == ShapeLogEntryTable.offsetChunksVersion)
                let state = try #require(try ShapeLogReader(directory: offsetFramed).loadState())
                #expect(state.changes.closedChunkCount > 10)

                var requests: [LogOffset] = [.beforeAll, LogOffset(tx: 0, op: 0), .snapshotEnd]
                for offset in offsets {
                    requests += [offset, LogOffset(tx: offset.tx, op: offset.op + 1), LogOffset(tx: offset.tx - 1, op: 5)]
                }
                requests.append(LogOffset(tx: 999_999, op: 0))
                let framedReader = ShapeLogReader(directory: offsetFramed)
                let indexedReader = ShapeLogReader(directory: indexed)
                for request in requests {
                    #expect(try Self.answer(framedReader, after: request) == Self.answer(indexedReader, after: request), "after \(request)")
                }
                // Following the log from the snapshot's end reads every entry once.
                #expect(try ShapeLogEntryTableTests.offsets(framedReader).count == offsets.count)
            }
        }
    }

    /// The entries of the first frames, walked to from the end: the entry count `ShapeLogPlan`
    /// carries is what the cursor finds.
    @Test func aRequestInsideTheOpenChunkReadsItsTail() throws {
        try Support.withTemporaryDirectory { directory in
            try ChangeLogTests.finishedSnapshot(directory)
            let writer = try ChangeLogWriter(directory: directory, chunkThresholdBytes: 1 << 30)
            for tx in 1...2_000 {
                try writer.append(offset: LogOffset(tx: Int64(tx), op: 0), json: ChangeLogTests.entry("\(tx)_0", size: 200))
            }
            try writer.commit(appliedThroughLSN: LSN(2_000))
            let reader = ShapeLogReader(directory: directory)
            for (request, expected) in [(1_997, 3), (1_000, 1_000), (1, 1_999), (1_999, 1)] {
                let plan = try #require(Support.ready(try reader.plan(after: LogOffset(tx: Int64(request), op: 0))))
                let entries = try reader.readEntries(plan)
                #expect(entries.count == expected)
                #expect(String(decoding: try #require(entries.first), as: UTF8.self).contains("\"\(request + 1)_0\""))
                #expect(plan.source == .changes(entries: UInt64(expected), start: plan.sourceStart, end: writer.committedState.byteLength))
            }
            // At the last entry nothing is read.
            #expect(Support.ready(try reader.plan(after: LogOffset(tx: 2_000, op: 0)))?.source == ShapeLogPlan.Source.none)
        }
    }

    static func expectCorrupt(_ path: String, _ detail: String, _ body: () throws -> Void) {
        #expect {
            try body()
        } throws: { error in
            guard case .corrupt(let failing, let message) = error as? ShapeLogError else { return false }
            return failing == path && message.contains(detail)
        }
    }

    /// Each frame is `length, crc, tx, op, payload, length`: bytes of the frame at `index`.
    static func framePositions(_ directory: String) throws -> [Int] {
        let log = [UInt8](try Data(contentsOf: URL(fileURLWithPath: ShapeLogFiles(directory: directory).changeLog)))
        let state = try #require(try ShapeLogReader(directory: directory).loadState()).changes
        var position = Int(ShapeLogFormat.fileHeaderSize)
        var positions: [Int] = []
        while position < Int(state.byteLength) {
            positions.append(position)
            position += ShapeLogFrameLayout.offsetFramed.frameSize(payload: Int(log.loadInteger(UInt32.self, at: position, .littleEndian)))
        }
        #expect(position == Int(state.byteLength))
        return positions
    }

    @Test func aDamagedOffsetOrTrailerIsReportedNotServed() throws {
        for (field, detail) in [(8, "not before the next one"), (-1, "does not end where its trailer says")] {
            try Support.withTemporaryDirectory { directory in
                try ChangeLogTests.finishedSnapshot(directory)
                let writer = try ChangeLogWriter(directory: directory, chunkThresholdBytes: 1 << 20)
                for tx in 1...20 {
                    try writer.append(offset: LogOffset(tx: Int64(tx), op: 0), json: ChangeLogTests.entry("\(tx)_0"))
                    try writer.commit(appliedThroughLSN: LSN(UInt64(tx)))
                }
                let files = ShapeLogFiles(directory: directory)
                let positions = try Self.framePositions(directory)
                // Frame 10's `tx` made larger than frame 11's, or its trailer's last byte changed.
                let target = field > 0 ? positions[10] + field + 1 : positions[11] - 4
                try ShapeLogEntryTableTests.flipByte(files.changeLog, at: target)
                Self.expectCorrupt(files.changeLog, detail) {
                    _ = try ShapeLogReader(directory: directory).plan(after: LogOffset(tx: 2, op: 0))
                }
            }
        }
    }

    /// A log with a finished snapshot and one transaction of 20 entries at `10_0` … `200_0`,
    /// all in the open chunk.
    static func writeTwentyInOneChunk(_ directory: String) throws -> ChangeLogWriter {
        try ChangeLogTests.finishedSnapshot(directory)
        let writer = try ChangeLogWriter(directory: directory, chunkThresholdBytes: 1 << 20)
        for tx in 1...20 {
            try writer.append(offset: LogOffset(tx: Int64(tx * 10), op: 0), json: ChangeLogTests.entry("\(tx * 10)_0"))
        }
        try writer.commit(appliedThroughLSN: LSN(200))
        return writer
    }

    /// An offset damaged so that it still falls between its neighbours is caught by the checksum
    /// of the frame the walk stops at.
    @Test func theFrameTheWalkStopsAtIsChecksummed() throws {
        try Support.withTemporaryDirectory { directory in
            _ = try Self.writeTwentyInOneChunk(directory)
            let files = ShapeLogFiles(directory: directory)
            // Frame 9 (tx 100) now claims tx 101: still between 90 and 110.
            try ShapeLogEntryTableTests.flipByte(files.changeLog, at: try Self.framePositions(directory)[9] + 8)
            let reader = ShapeLogReader(directory: directory)
            Self.expectCorrupt(files.changeLog, "checksum mismatch") { _ = try reader.plan(after: LogOffset(tx: 101, op: 0)) }
            // A response that carries the frame checks it too.
            Self.expectCorrupt(files.changeLog, "checksum mismatch") {
                _ = try reader.readEntries(try #require(Support.ready(try reader.plan(after: LogOffset(tx: 50, op: 0)))))
            }
        }
    }

    /// A request before a chunk's first entry takes the whole chunk without a walk; a first
    /// offset damaged to look later than the request is caught by the frame's checksum when the
    /// response reads it.
    @Test func aWholeChunkIsServedFromItsFirstFrameAndChecked() throws {
        try Support.withTemporaryDirectory { directory in
            let writer = try Self.writeTwentyInOneChunk(directory)
            let reader = ShapeLogReader(directory: directory)
            let whole = try #require(Support.ready(try reader.plan(after: .snapshotEnd)))
            #expect(whole.source == .changes(entries: 20, start: whole.sourceStart, end: writer.committedState.byteLength))
            let files = ShapeLogFiles(directory: directory)
            // Frame 0 (tx 10) now claims a tx far past 50.
            try ShapeLogEntryTableTests.flipByte(files.changeLog, at: try Self.framePositions(directory)[0] + 8 + 6)
            Self.expectCorrupt(files.changeLog, "checksum mismatch") {
                _ = try reader.readEntries(try #require(Support.ready(try reader.plan(after: LogOffset(tx: 50, op: 0)))))
            }
        }
    }

    @Test func aFlippedByteInTheChunkTableIsReportedNotServed() throws {
        try Support.withTemporaryDirectory { offsetFramed in
            try Support.withTemporaryDirectory { indexed in
                _ = try Self.writeBoth(offsetFramed, indexed, transactions: 20)
                let files = ShapeLogFiles(directory: offsetFramed)
                let table = ShapeLogEntryTable.changeChunks(version: ShapeLogEntryTable.offsetChunksVersion)
                // The end position of chunk 0: a wrong byte range if it were trusted.
                try ShapeLogEntryTableTests.flipByte(files.changeChunks, at: Int(table.position(of: 0)) + 9)
                Self.expectCorrupt(files.changeChunks, "checksum mismatch in entry 0") {
                    _ = try ShapeLogEntryTableTests.offsets(ShapeLogReader(directory: offsetFramed))
                }
            }
        }
    }

    /// A restart resumes a version-3 log in its layout, chunking where it left off.
    @Test func aReopenedLogKeepsItsLayout() throws {
        try Support.withTemporaryDirectory { offsetFramed in
            try Support.withTemporaryDirectory { indexed in
                _ = try Self.writeBoth(offsetFramed, indexed, transactions: 10)
                let reopened = [
                    try ChangeLogWriter(directory: offsetFramed, chunkThresholdBytes: 2048),
                    try ChangeLogWriter(directory: indexed, chunkThresholdBytes: 2048),
                ]
                #expect(reopened.map(\.layout.isIndexed) == [false, true])
                for tx in 11...30 {
                    let offset = LogOffset(tx: Int64(tx * 1000), op: 0)
                    for writer in reopened { try writer.append(offset: offset, json: ChangeLogTests.entry(offset.description, size: 700)) }
                    try ChangeLogWriter.commit(reopened, appliedThroughLSN: LSN(UInt64(tx * 1000)))
                }
                let framed = try ShapeLogEntryTableTests.offsets(ShapeLogReader(directory: offsetFramed))
                #expect(framed == (try ShapeLogEntryTableTests.offsets(ShapeLogReader(directory: indexed))))
                #expect(framed.count > 20)
            }
        }
    }
}

extension ShapeLogPlan {
    /// The start of a `.changes` source (0 otherwise), for comparing the rest of it.
    var sourceStart: UInt64 {
        if case .changes(_, let start, _) = source { return start }
        return 0
    }
}
