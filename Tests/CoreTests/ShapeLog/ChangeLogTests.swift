import Foundation
import TestSupport
import Testing

@testable import ConduitCore

struct ChangeLogTests {
    typealias Support = ShapeLogTestSupport

    /// A finished one-chunk snapshot, so reads continue into the change log.
    static func finishedSnapshot(_ directory: String) throws {
        let writer = try SnapshotWriter(directory: directory, chunkThresholdBytes: 1 << 20)
        try writer.append(row: Support.json("{\"row\":1}"))
        try writer.finish(snapshotEnd: Support.json("{\"end\":true}"))
    }

    static func entry(_ offset: String, size: Int = 10) -> [UInt8] {
        let prefix = "{\"o\":\"\(offset)\",\"p\":\""
        return Array((prefix + String(repeating: "y", count: max(0, size - prefix.utf8.count - 2)) + "\"}").utf8)
    }

    @Test func roundTripAcrossCommits() throws {
        try Support.withTemporaryDirectory { directory in
            try Self.finishedSnapshot(directory)
            let writer = try ChangeLogWriter(directory: directory, chunkThresholdBytes: 1 << 20)
            try writer.append(offset: Support.offset("100_0"), json: Self.entry("100_0"))
            try writer.append(offset: Support.offset("100_2"), json: Self.entry("100_2"))
            try writer.commit(appliedThroughLSN: LSN(100))
            try writer.append(offset: Support.offset("200_0"), json: Self.entry("200_0"))
            try writer.commit(appliedThroughLSN: LSN(200))

            let reader = ShapeLogReader(directory: directory)
            let all = try #require(Support.ready(try reader.plan(after: Support.offset("0_0"))))
            #expect(all.end == Support.offset("200_0"))
            #expect(all.isUpToDate)
            #expect(all.lastChangeLSN == LSN(200))
            #expect(
                Support.strings(try reader.readEntries(all))
                    == ["100_0", "100_2", "200_0"].map { String(decoding: Self.entry($0), as: UTF8.self) })

            let tail = try #require(Support.ready(try reader.plan(after: Support.offset("100_0"))))
            #expect(try reader.readEntries(tail).count == 2)
            let fromInf = try #require(Support.ready(try reader.plan(after: .snapshotEnd)))
            #expect(try reader.readEntries(fromInf).count == 3)
            let between = try #require(Support.ready(try reader.plan(after: Support.offset("100_1"))))
            #expect(Support.strings(try reader.readEntries(between)).first == String(decoding: Self.entry("100_2"), as: UTF8.self))
            let caughtUp = try #require(Support.ready(try reader.plan(after: Support.offset("200_0"))))
            #expect(!caughtUp.hasEntries)
            #expect(caughtUp.isUpToDate)
            #expect(caughtUp.end == Support.offset("200_0"))
        }
    }

    @Test func readerNeverPassesTheCommittedState() throws {
        try Support.withTemporaryDirectory { directory in
            try Self.finishedSnapshot(directory)
            let writer = try ChangeLogWriter(directory: directory, chunkThresholdBytes: 1 << 20)
            try writer.append(offset: Support.offset("100_0"), json: Self.entry("100_0"))
            try writer.commit(appliedThroughLSN: LSN(100))
            // A large uncommitted transaction is written through to the files...
            let big = [UInt8](repeating: UInt8(ascii: "z"), count: 300_000)
            for op in 0..<8 { try writer.append(offset: LogOffset(tx: 300, op: UInt64(op * 2)), json: big) }
            let size = try FileManager.default.attributesOfItem(atPath: ShapeLogFiles(directory: directory).changeLog)[.size] as! Int
            #expect(size > 2_000_000)
            // ...but the reader only sees the committed entry.
            let reader = ShapeLogReader(directory: directory)
            let plan = try #require(Support.ready(try reader.plan(after: .snapshotEnd)))
            #expect(plan.end == Support.offset("100_0"))
            #expect(try reader.readEntries(plan).count == 1)
            #expect(try reader.plan(after: Support.offset("300_0")) == .outOfBounds(latest: Support.offset("100_0")))
        }
    }

    @Test func recoveryTruncatesUncommittedEntries() throws {
        try Support.withTemporaryDirectory { directory in
            try Self.finishedSnapshot(directory)
            do {
                let writer = try ChangeLogWriter(directory: directory, chunkThresholdBytes: 25)
                try writer.append(offset: Support.offset("100_0"), json: Self.entry("100_0", size: 30))
                try writer.commit(appliedThroughLSN: LSN(100))
                let big = [UInt8](repeating: UInt8(ascii: "z"), count: 700_000)
                for op in 0..<3 { try writer.append(offset: LogOffset(tx: 300, op: UInt64(op * 2)), json: big) }
                // The writer "crashes" here: dropped without commit.
            }
            let files = ShapeLogFiles(directory: directory)
            let recovered = try ChangeLogWriter(directory: directory, chunkThresholdBytes: 25)
            #expect(recovered.committedState.latest == Support.offset("100_0"))
            #expect(recovered.committedState.appliedThroughLSN == LSN(100))
            #expect(recovered.committedState.entryCount == 1)
            #expect(recovered.committedState.closedChunkCount == 1)
            // The lost transaction's bytes stay past the committed state, unread, until the
            // next appends overwrite them.
            let size = try FileManager.default.attributesOfItem(atPath: files.changeLog)[.size] as! Int
            #expect(UInt64(size) > recovered.committedState.byteLength + 1_000_000)

            // Replay may reuse the offsets of the lost transaction.
            try recovered.append(offset: Support.offset("300_0"), json: Self.entry("300_0"))
            try recovered.commit(appliedThroughLSN: LSN(300))
            let reader = ShapeLogReader(directory: directory)
            let plan = try #require(Support.ready(try reader.plan(after: Support.offset("100_0"))))
            #expect(Support.strings(try reader.readEntries(plan)) == [String(decoding: Self.entry("300_0"), as: UTF8.self)])
        }
    }

    /// Appends inside a file's zero padding leave its size alone (a flush then writes no inode);
    /// one that passes it pads again, past the next 4 KiB boundary.
    @Test func appendsPadFilesSoMostCommitsKeepTheirSize() throws {
        try Support.withTemporaryDirectory { directory in
            try Self.finishedSnapshot(directory)
            let files = ShapeLogFiles(directory: directory)
            func size(_ path: String) throws -> UInt64 {
                UInt64(try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int)
            }
            let writer = try ChangeLogWriter(directory: directory, chunkThresholdBytes: 1 << 20)
            let created = try size(files.changeLog)
            #expect(created == 4096)
            try writer.append(offset: Support.offset("100_0"), json: Self.entry("100_0", size: 100))
            try writer.commit(appliedThroughLSN: LSN(100))
            try writer.append(offset: Support.offset("200_0"), json: Self.entry("200_0", size: 100))
            try writer.commit(appliedThroughLSN: LSN(200))
            #expect(try size(files.changeLog) == created)
            // A version-3 log has no index beside it.
            #expect(!FileManager.default.fileExists(atPath: files.changeIndex))

            try writer.append(offset: Support.offset("300_0"), json: Self.entry("300_0", size: 10_000))
            try writer.commit(appliedThroughLSN: LSN(300))
            let end = writer.committedState.byteLength
            #expect(try size(files.changeLog) == ChangeLogWriter.paddedLength(end))
            #expect(ChangeLogWriter.paddedLength(end) % 4096 == 0 && ChangeLogWriter.paddedLength(end) > end)

            let reader = ShapeLogReader(directory: directory)
            let plan = try #require(Support.ready(try reader.plan(after: .snapshotEnd)))
            #expect(try reader.readEntries(plan).count == 3)
        }
    }

    /// A crash between creating a file and writing its header leaves it empty or cut inside the
    /// header: the writer writes the header (and its padding) over it, truncating nothing.
    @Test func aFileCutInsideItsHeaderIsWrittenAgain() throws {
        try Support.withTemporaryDirectory { directory in
            let files = ShapeLogFiles(directory: directory)
            try Data([UInt8]("CCH".utf8)).write(to: URL(fileURLWithPath: files.changeLog))
            let writer = try ChangeLogWriter(directory: directory, chunkThresholdBytes: 1 << 20)
            #expect(writer.committedState == .empty)
            let log = [UInt8](try Data(contentsOf: URL(fileURLWithPath: files.changeLog)))
            #expect(Array(log.prefix(8)) == ChangeLogLayout(hasDocument: false).fileHeader)
            #expect(log[4] == ChangeLogLayout.offsetFramedVersion)
            #expect(log.count == Int(ChangeLogWriter.paddedLength(8)) && log[8...].allSatisfy { $0 == 0 })
            try Self.finishedSnapshot(directory)
            try writer.append(offset: Support.offset("100_0"), json: Self.entry("100_0"))
            try writer.commit(appliedThroughLSN: LSN(100))
            let reader = ShapeLogReader(directory: directory)
            #expect(try reader.readEntries(try #require(Support.ready(try reader.plan(after: .snapshotEnd)))).count == 1)
        }
    }

    /// Large logs grow by an eighth of their length (at most 1 MiB) at a time.
    @Test func paddingGrowsWithTheFile() {
        #expect(ChangeLogWriter.paddedLength(8) == 4096)
        #expect(ChangeLogWriter.paddedLength(3000) == 4096)
        #expect(ChangeLogWriter.paddedLength(4095) == 8192)
        #expect(ChangeLogWriter.paddedLength(4096) == 8192)
        #expect(ChangeLogWriter.paddedLength(800_000) == 901_120)
        #expect(ChangeLogWriter.paddedLength(100 << 20) == (101 << 20) + 4096)
    }

    @Test func discardUncommittedRestoresCommittedState() throws {
        try Support.withTemporaryDirectory { directory in
            try Self.finishedSnapshot(directory)
            let writer = try ChangeLogWriter(directory: directory, chunkThresholdBytes: 1 << 20)
            try writer.append(offset: Support.offset("100_0"), json: Self.entry("100_0"))
            try writer.commit(appliedThroughLSN: LSN(100))
            try writer.append(offset: Support.offset("200_0"), json: Self.entry("200_0"))
            writer.discardUncommitted()
            #expect(!writer.hasUncommittedEntries)
            try writer.append(offset: Support.offset("150_0"), json: Self.entry("150_0"))
            try writer.commit(appliedThroughLSN: LSN(150))
            let reader = ShapeLogReader(directory: directory)
            let plan = try #require(Support.ready(try reader.plan(after: .snapshotEnd)))
            #expect(try reader.readEntries(plan).count == 2)
            #expect(plan.end == Support.offset("150_0"))
        }
    }

    @Test func emptyTransactionsAdvanceTheLSNWithoutIO() throws {
        try Support.withTemporaryDirectory { directory in
            let writer = try ChangeLogWriter(directory: directory, chunkThresholdBytes: 100)
            let statePath = ShapeLogFiles(directory: directory).changeState
            let before = try Data(contentsOf: URL(fileURLWithPath: statePath))
            try writer.commit(appliedThroughLSN: LSN(500))
            #expect(writer.committedState.appliedThroughLSN == LSN(500))
            #expect(try Data(contentsOf: URL(fileURLWithPath: statePath)) == before)
            let reopened = try ChangeLogWriter(directory: directory, chunkThresholdBytes: 100)
            #expect(reopened.committedState == .empty)
        }
    }

    @Test func offsetsMustIncrease() throws {
        try Support.withTemporaryDirectory { directory in
            let writer = try ChangeLogWriter(directory: directory, chunkThresholdBytes: 100)
            try writer.append(offset: Support.offset("100_2"), json: Self.entry("a"))
            #expect(throws: ShapeLogError.self) { try writer.append(offset: Support.offset("100_2"), json: Self.entry("b")) }
            #expect(throws: ShapeLogError.self) { try writer.append(offset: Support.offset("0_5"), json: Self.entry("c")) }
            #expect(throws: ShapeLogError.self) { try writer.append(offset: Support.offset("90_0"), json: Self.entry("d")) }
        }
    }

    /// Protocol.md §7.4: a response ends at the end of the chunk holding the first entry after the
    /// request; a still-open chunk ends at `latest`.
    @Test func responsesStopAtChunkBoundaries() throws {
        try Support.withTemporaryDirectory { directory in
            try Self.finishedSnapshot(directory)
            let writer = try ChangeLogWriter(directory: directory, chunkThresholdBytes: 100)
            // Sizes 60, 50 (count 110: chunk closes at 10_2), 100 (closes alone at 20_0), 30, 30 (open).
            try writer.append(offset: Support.offset("10_0"), json: Self.entry("10_0", size: 60))
            try writer.append(offset: Support.offset("10_2"), json: Self.entry("10_2", size: 50))
            try writer.commit(appliedThroughLSN: LSN(10))
            try writer.append(offset: Support.offset("20_0"), json: Self.entry("20_0", size: 100))
            try writer.append(offset: Support.offset("30_0"), json: Self.entry("30_0", size: 30))
            try writer.append(offset: Support.offset("30_2"), json: Self.entry("30_2", size: 30))
            try writer.commit(appliedThroughLSN: LSN(30))
            #expect(writer.committedState.closedChunkCount == 2)
            #expect(writer.committedState.openChunkBytes == 60)

            let reader = ShapeLogReader(directory: directory)
            var ends: [String] = []
            var counts: [Int] = []
            var offset = Support.offset("0_0")
            while true {
                let plan = try #require(Support.ready(try reader.plan(after: offset)))
                ends.append(plan.end.description)
                counts.append(try reader.readEntries(plan).count)
                offset = plan.end
                if plan.isUpToDate { break }
            }
            #expect(ends == ["10_2", "20_0", "30_2"])
            #expect(counts == [2, 1, 2])
            // Starting inside the first chunk still ends at its boundary.
            let inside = try #require(Support.ready(try reader.plan(after: Support.offset("10_0"))))
            #expect(inside.end == Support.offset("10_2"))
            #expect(!inside.isUpToDate)
        }
    }

    @Test func chunkingResumesAfterReopen() throws {
        try Support.withTemporaryDirectory { directory in
            do {
                let writer = try ChangeLogWriter(directory: directory, chunkThresholdBytes: 100)
                try writer.append(offset: Support.offset("10_0"), json: Self.entry("10_0", size: 60))
                try writer.commit(appliedThroughLSN: LSN(10))
            }
            let writer = try ChangeLogWriter(directory: directory, chunkThresholdBytes: 100)
            #expect(writer.committedState.openChunkBytes == 60)
            try writer.append(offset: Support.offset("20_0"), json: Self.entry("20_0", size: 40))
            try writer.commit(appliedThroughLSN: LSN(20))
            #expect(writer.committedState.closedChunkCount == 1)
        }
    }

    /// `changes.chunks` is created by the commit that closes the first chunk (most shapes never
    /// close one), also in a writer reopened after a restart; once chunks are committed, a
    /// missing file is damage, not an empty table.
    @Test func chunksFileIsCreatedWhenTheFirstChunkCloses() throws {
        try Support.withTemporaryDirectory { directory in
            try Self.finishedSnapshot(directory)
            let files = ShapeLogFiles(directory: directory)
            do {
                let writer = try ChangeLogWriter(directory: directory, chunkThresholdBytes: 100)
                try writer.append(offset: Support.offset("10_0"), json: Self.entry("10_0", size: 60))
                try writer.commit(appliedThroughLSN: LSN(10))
                #expect(!FileManager.default.fileExists(atPath: files.changeChunks))
            }
            let writer = try ChangeLogWriter(directory: directory, chunkThresholdBytes: 100)
            #expect(!FileManager.default.fileExists(atPath: files.changeChunks))
            try writer.append(offset: Support.offset("20_0"), json: Self.entry("20_0", size: 40))
            try writer.append(offset: Support.offset("20_2"), json: Self.entry("20_2", size: 10))
            try writer.commit(appliedThroughLSN: LSN(20))
            #expect(FileManager.default.fileExists(atPath: files.changeChunks))
            let plan = try #require(Support.ready(try ShapeLogReader(directory: directory).plan(after: .snapshotEnd)))
            #expect(plan.end == Support.offset("20_0"))
            #expect(!plan.isUpToDate)

            let reopened = try ChangeLogWriter(directory: directory, chunkThresholdBytes: 100)
            #expect(reopened.committedState.closedChunkCount == 1)
            try FileManager.default.removeItem(atPath: files.changeChunks)
            #expect(throws: ShapeLogError.self) { try ChangeLogWriter(directory: directory, chunkThresholdBytes: 100) }
        }
    }

    @Test func outOfBoundsAndSnapshotOffsets() throws {
        try Support.withTemporaryDirectory { directory in
            try Self.finishedSnapshot(directory)
            let reader = ShapeLogReader(directory: directory)
            // No changes yet: latest is the last snapshot chunk; 0_inf is still valid.
            let atInf = try #require(Support.ready(try reader.plan(after: .snapshotEnd)))
            #expect(atInf.end == .snapshotEnd)
            #expect(atInf.isUpToDate)
            #expect(try reader.plan(after: Support.offset("0_3")) == .outOfBounds(latest: Support.offset("0_0")))
            #expect(try reader.plan(after: Support.offset("5_0")) == .outOfBounds(latest: Support.offset("0_0")))

            let writer = try ChangeLogWriter(directory: directory, chunkThresholdBytes: 100)
            try writer.append(offset: Support.offset("10_0"), json: Self.entry("10_0"))
            try writer.commit(appliedThroughLSN: LSN(10))
            #expect(try reader.plan(after: Support.offset("10_1")) == .outOfBounds(latest: Support.offset("10_0")))
            let state = try #require(try reader.loadState())
            #expect(state.latest == Support.offset("10_0"))
        }
    }

    @Test func changesStayHiddenUntilTheSnapshotIsComplete() throws {
        try Support.withTemporaryDirectory { directory in
            let snapshot = try SnapshotWriter(directory: directory, chunkThresholdBytes: 10)
            try snapshot.append(row: Support.row(1, size: 30))
            try snapshot.publishProgress()
            try snapshot.waitForPublications()
            let writer = try ChangeLogWriter(directory: directory, chunkThresholdBytes: 100)
            try writer.append(offset: Support.offset("10_0"), json: Self.entry("10_0"))
            try writer.commit(appliedThroughLSN: LSN(10))
            let reader = ShapeLogReader(directory: directory)
            let first = try #require(Support.ready(try reader.plan(after: .beforeAll)))
            #expect(first.latest == Support.offset("0_0"))
            #expect(try reader.plan(after: Support.offset("0_0")) == .notReady)
            try snapshot.finish(snapshotEnd: Support.json("{\"end\":true}"))
            let second = try #require(Support.ready(try reader.plan(after: Support.offset("0_0"))))
            #expect(second.end == Support.offset("0_1"))
            #expect(!second.isUpToDate)
            let third = try #require(Support.ready(try reader.plan(after: second.end)))
            #expect(third.end == Support.offset("10_0"))
            #expect(third.isUpToDate)
        }
    }
}
