import TestSupport
import Testing

@testable import ConduitCore
@testable import Spool

struct SpoolRecoveryTests {
    /// Two committed, fsynced transactions; returns the durable positions after each.
    private func writeTwoTransactions(
        directory: String,
        stream: inout FakeReplicationStream
    ) throws -> (first: [SpooledMessage], second: [SpooledMessage], afterFirst: SpoolDurablePosition, afterSecond: SpoolDurablePosition) {
        let writer = try SpoolWriter(directory: directory, logger: quietLogger)
        let first = stream.transaction(rows: 3, schema: [.relation(PgOutputFixtures.relation)])
        try writer.append(first)
        let afterFirst = try #require(try writer.commitBoundaryFlush())
        let second = stream.transaction(rows: 4)
        try writer.append(second)
        let afterSecond = try #require(try writer.commitBoundaryFlush())
        return (first, second, afterFirst, afterSecond)
    }

    @Test func tornTailAtEveryByteOfTheLastFrameRecoversToThePreviousCommit() throws {
        try withUniqueTestDirectory { source in
            var stream = FakeReplicationStream()
            let written = try writeTwoTransactions(directory: source, stream: &stream)
            let segmentName = SpoolFormat.segmentFileName(base: written.afterSecond.segment)
            let complete = try spoolTestRead(source + "/" + segmentName)
            #expect(UInt64(complete.count) == written.afterSecond.offset)

            for cut in Int(written.afterFirst.offset)..<complete.count {
                try withUniqueTestDirectory { directory in
                    try spoolTestWrite(directory + "/" + segmentName, Array(complete[0..<cut]))
                    let writer = try SpoolWriter(directory: directory, logger: quietLogger)
                    #expect(writer.lastCommitEndLSN == written.first.last!.lsn)
                    #expect(writer.durablePosition == written.afterFirst)
                    // A torn frame is cut only once PostgreSQL's confirmed position allows it.
                    try writer.resolveTail(confirmedFlush: written.first.last!.lsn)
                    #expect(writer.unresolvedTail == nil)
                    #expect(try spoolTestFileSize(directory + "/" + segmentName) == written.afterFirst.offset)
                    #expect(writer.relations[PgOutputFixtures.relation.relationID] == PgOutputFixtures.relation)

                    // PostgreSQL re-sends from the resume point: the first transaction again, then the second.
                    #expect(try writer.append(written.first) == 0)
                    #expect(try writer.append(written.second) == written.second.count)
                    let durable = try #require(try writer.commitBoundaryFlush())
                    #expect(durable == written.afterSecond)
                    #expect(try readMessages(directory: directory, upTo: durable) == written.first + written.second)
                }
            }
        }
    }

    @Test func corruptChecksumInTheTailIsDropped() throws {
        try withUniqueTestDirectory { directory in
            var stream = FakeReplicationStream()
            let written = try writeTwoTransactions(directory: directory, stream: &stream)
            let path = SpoolDirectory.path(of: written.afterSecond.segment, in: directory)
            var bytes = try spoolTestRead(path)
            bytes[Int(written.afterFirst.offset) + SpoolFormat.frameHeaderSize + 3] ^= 0x40
            try spoolTestWrite(path, bytes)

            let writer = try SpoolWriter(directory: directory, logger: quietLogger)
            #expect(writer.lastCommitEndLSN == written.first.last!.lsn)
            #expect(writer.unresolvedTail?.offset == written.afterFirst.offset)
            #expect(try spoolTestFileSize(path) == written.afterSecond.offset, "left in place until judged")
            try writer.resolveTail(confirmedFlush: nil)
            #expect(try spoolTestFileSize(path) == written.afterFirst.offset)
        }
    }

    @Test func damageFollowedByValidFramesIsReportedNotTruncated() throws {
        try withUniqueTestDirectory { directory in
            var stream = FakeReplicationStream()
            let written = try writeTwoTransactions(directory: directory, stream: &stream)
            let path = SpoolDirectory.path(of: written.afterSecond.segment, in: directory)
            var bytes = try spoolTestRead(path)
            bytes[try spoolTestHeaderSize(path) + SpoolFormat.frameHeaderSize + 3] ^= 0x40  // inside the first frame
            try spoolTestWrite(path, bytes)
            #expect {
                _ = try SpoolWriter(directory: directory, logger: quietLogger)
            } throws: { error in
                "\(error)".contains("refusing to truncate")
            }
            #expect(try spoolTestFileSize(path) == written.afterSecond.offset)
        }
    }

    @Test func framesOfAnUncommittedTransactionAreDropped() throws {
        try withUniqueTestDirectory { directory in
            var stream = FakeReplicationStream()
            let other = PgOutputMessage.Relation(
                relationID: 30_000, namespace: "public", name: "late", replicaIdentity: .default, columns: [])
            let committed = stream.transaction(rows: 5, schema: [.relation(PgOutputFixtures.relation)])
            let big = stream.transaction(rows: 2_000, schema: [.relation(other)])
            let path: String
            let durable: SpoolDurablePosition
            do {
                let writer = try SpoolWriter(directory: directory, frameTargetBytes: 4096, logger: quietLogger)
                try writer.append(committed)
                durable = try #require(try writer.commitBoundaryFlush())
                try writer.append(Array(big.dropLast()))  // the crash comes before the Commit
                #expect(writer.pendingBytes < 4096 + 200)
                path = SpoolDirectory.path(of: durable.segment, in: directory)
                #expect(try spoolTestFileSize(path) > durable.offset)
            }
            let reopened = try SpoolWriter(directory: directory, logger: quietLogger)
            #expect(try spoolTestFileSize(path) == durable.offset)
            #expect(reopened.lastCommitEndLSN == committed.last!.lsn)
            #expect(reopened.relations.keys.sorted() == [PgOutputFixtures.relation.relationID])
            #expect(try reopened.append(big) == big.count)
        }
    }

    @Test func completeButUnsyncedTransactionsAreKept() throws {
        try withUniqueTestDirectory { directory in
            var stream = FakeReplicationStream()
            let first = stream.transaction(rows: 2)
            let second = stream.transaction(rows: 2)
            do {
                let writer = try SpoolWriter(directory: directory, frameTargetBytes: 1, logger: quietLogger)
                try writer.append(first)
                try writer.commitBoundaryFlush()
                try writer.append(second)  // frameTargetBytes 1: written frame by frame, never fsynced
                #expect(writer.pendingBytes == 0)
            }
            let reopened = try SpoolWriter(directory: directory, logger: quietLogger)
            #expect(reopened.lastCommitEndLSN == second.last!.lsn)
            let durable = try #require(reopened.durablePosition)
            #expect(try readMessages(directory: directory, upTo: durable) == first + second)
        }
    }

    @Test func recoveryOfARotatedSegmentWithOnlyItsSchemaFrame() throws {
        try withUniqueTestDirectory { directory in
            var stream = FakeReplicationStream()
            let first = stream.transaction(rows: 2, schema: [.relation(PgOutputFixtures.relation)])
            do {
                let writer = try SpoolWriter(directory: directory, segmentTargetBytes: 1, logger: quietLogger)
                try writer.append(first)
                try writer.commitBoundaryFlush()
                try writer.append(Array(stream.transaction(rows: 3).dropLast()))
            }
            // A crash while creating a segment leaves a temporary file that recovery removes.
            try spoolTestWrite(directory + "/" + SpoolFormat.segmentFileName(base: LSN(UInt64.max)) + ".tmp", [1, 2, 3])
            let reopened = try SpoolWriter(directory: directory, logger: quietLogger)
            #expect(reopened.currentSegment == first.last!.lsn)
            #expect(reopened.lastCommitEndLSN == first.last!.lsn)
            #expect(reopened.relations[PgOutputFixtures.relation.relationID] == PgOutputFixtures.relation)
            #expect(try SpoolDirectory.segments(in: directory) == [first[0].lsn, first.last!.lsn])
            #expect(try FileSystem.listDirectory(directory).count == 2)
        }
    }

    @Test func corruptSegmentHeaderIsReportedNotDiscarded() throws {
        try withUniqueTestDirectory { directory in
            var stream = FakeReplicationStream()
            let written = try writeTwoTransactions(directory: directory, stream: &stream)
            let path = SpoolDirectory.path(of: written.afterSecond.segment, in: directory)
            var bytes = try spoolTestRead(path)
            bytes[20] ^= 1
            try spoolTestWrite(path, bytes)
            #expect {
                _ = try SpoolWriter(directory: directory, logger: quietLogger)
            } throws: { error in
                "\(error)".contains(path) && "\(error)".contains("checksum")
            }
        }
    }
}
