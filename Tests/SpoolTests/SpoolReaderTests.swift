import TestSupport
import Testing

@testable import ConduitCore
@testable import Spool

struct SpoolReaderTests {
    @Test func readerNeverPassesTheDurableLimit() throws {
        try withUniqueTestDirectory { directory in
            var stream = FakeReplicationStream()
            let writer = try SpoolWriter(directory: directory, frameTargetBytes: 512, logger: quietLogger)
            let first = stream.transaction(rows: 3)
            try writer.append(first)
            let afterFirst = try #require(try writer.commitBoundaryFlush())
            let second = stream.transaction(rows: 50)
            try writer.append(second)
            let afterSecond = try #require(try writer.commitBoundaryFlush())
            try writer.append(Array(stream.transaction(rows: 100).dropLast()))  // frames written, not durable

            let reader = try SpoolReader(directory: directory)
            try reader.openCursor(segment: afterFirst.segment)
            var seen: [SpooledMessage] = []
            while let batch = try reader.nextRecords(upTo: afterFirst) {
                #expect(batch.end.offset <= afterFirst.offset)
                seen += batch.records.map { SpooledMessage(lsn: $0.lsn, bytes: Array($0.payload)) }
            }
            #expect(seen == first)
            #expect(reader.position == afterFirst.position)
            #expect(try reader.nextRecords(upTo: afterFirst) == nil)

            var last: SpoolBatch?
            while let batch = try reader.nextRecords(upTo: afterSecond) {
                #expect(batch.end.offset <= afterSecond.offset)
                seen += batch.records.map { SpooledMessage(lsn: $0.lsn, bytes: Array($0.payload)) }
                last = batch
            }
            #expect(seen == first + second)
            #expect(last?.endsAtTransactionBoundary == true)
            #expect(last?.lastCommitEndLSN == second.last!.lsn)
            #expect(reader.position == afterSecond.position)
        }
    }

    @Test func aLimitInsideAFrameIsRejected() throws {
        try withUniqueTestDirectory { directory in
            var stream = FakeReplicationStream()
            let writer = try SpoolWriter(directory: directory, logger: quietLogger)
            try writer.append(stream.transaction(rows: 3))
            let durable = try #require(try writer.commitBoundaryFlush())
            var inside = durable
            inside.offset -= 1
            let reader = try SpoolReader(directory: directory)
            try reader.openCursor(segment: durable.segment)
            #expect(throws: SpoolError.self) { try reader.nextRecords(upTo: inside) }
        }
    }

    @Test func corruptionBeforeTheLimitIsAnError() throws {
        try withUniqueTestDirectory { directory in
            var stream = FakeReplicationStream()
            let writer = try SpoolWriter(directory: directory, logger: quietLogger)
            try writer.append(stream.transaction(rows: 3))
            let afterFirst = try #require(try writer.commitBoundaryFlush())
            try writer.append(stream.transaction(rows: 3))
            let durable = try #require(try writer.commitBoundaryFlush())
            let path = SpoolDirectory.path(of: durable.segment, in: directory)
            var bytes = try spoolTestRead(path)
            bytes[Int(afterFirst.offset) + 40] ^= 0xFF
            try spoolTestWrite(path, bytes)

            let reader = try SpoolReader(directory: directory)
            try reader.openCursor(segment: durable.segment)
            #expect(try reader.nextRecords(upTo: durable) != nil)
            #expect {
                _ = try reader.nextRecords(upTo: durable)
            } throws: { error in
                "\(error)".hasPrefix("spool segment \(path) is corrupt at offset \(afterFirst.offset): frame checksum mismatch")
            }
        }
    }

    @Test func aMissingNextSegmentIsAnError() throws {
        try withUniqueTestDirectory { directory in
            var stream = FakeReplicationStream()
            let writer = try SpoolWriter(directory: directory, segmentTargetBytes: 1, logger: quietLogger)
            let first = stream.transaction(rows: 1)
            try writer.append(first)
            let durable = try #require(try writer.commitBoundaryFlush())
            try FileSystem.removeFile(SpoolDirectory.path(of: durable.segment, in: directory))
            let reader = try SpoolReader(directory: directory)
            try reader.openCursor(segment: first[0].lsn)
            _ = try reader.nextRecords(upTo: durable)
            #expect(throws: SpoolError.self) { try reader.nextRecords(upTo: durable) }
        }
    }

    @Test func readingWithoutACursorOrFromAMissingSegmentThrows() throws {
        try withUniqueTestDirectory { directory in
            let reader = try SpoolReader(directory: directory)
            let limit = SpoolDurablePosition(segment: LSN(1), offset: 100, commitEndLSN: LSN(1))
            #expect(throws: SpoolError.self) { try reader.nextRecords(upTo: limit) }
            #expect(throws: SpoolError.self) { try reader.openCursor(segment: LSN(1)) }
            #expect(try reader.segments() == [])
        }
    }
}
