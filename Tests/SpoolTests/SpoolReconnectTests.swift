import TestSupport
import Testing

@testable import Spool

/// ingest keeps one writer across replication reconnects; the server then re-sends from the
/// resume LSN, possibly starting with a transaction the writer had partly appended.
struct SpoolReconnectTests {
    @Test func aResentTransactionReplacesItsPendingPartialCopy() throws {
        try withUniqueTestDirectory { directory in
            var stream = FakeReplicationStream()
            let writer = try SpoolWriter(directory: directory, logger: quietLogger)
            let first = stream.transaction(rows: 2)
            try writer.append(first)
            try writer.commitBoundaryFlush()
            let second = stream.transaction(rows: 5)
            try writer.append(Array(second.prefix(3)))  // connection lost here
            try writer.append(second)  // re-sent from the resume point
            let durable = try #require(try writer.commitBoundaryFlush())
            #expect(try readMessages(directory: directory, upTo: durable) == first + second)
        }
    }

    @Test func framesAlreadyWrittenForThePartialTransactionAreCutBack() throws {
        try withUniqueTestDirectory { directory in
            var stream = FakeReplicationStream()
            let writer = try SpoolWriter(directory: directory, frameTargetBytes: 600, logger: quietLogger)
            let first = stream.transaction(rows: 2)
            try writer.append(first)
            let afterFirst = try #require(try writer.commitBoundaryFlush())
            let unflushed = stream.transaction(rows: 1)  // complete, but never flushed
            let partial = stream.transaction(rows: 40)
            try writer.append(unflushed)
            try writer.append(Array(partial.prefix(30)))  // frames were written mid-transaction
            let path = SpoolDirectory.path(of: afterFirst.segment, in: directory)
            #expect(try spoolTestFileSize(path) > afterFirst.offset)

            try writer.discardOpenTransaction()
            #expect(try spoolTestFileSize(path) == afterFirst.offset)
            #expect(writer.lastCommitEndLSN == first.last!.lsn)
            #expect(writer.isAtTransactionBoundary)
            try writer.append(unflushed + partial)
            let durable = try #require(try writer.commitBoundaryFlush())
            #expect(try readMessages(directory: directory, upTo: durable) == first + unflushed + partial)
        }
    }

    @Test func aBeginWhileSkippingADuplicateEndsTheSkip() throws {
        try withUniqueTestDirectory { directory in
            var stream = FakeReplicationStream()
            let first = stream.transaction(rows: 2)
            let second = stream.transaction(rows: 2)
            do {
                let writer = try SpoolWriter(directory: directory, logger: quietLogger)
                try writer.append(first)
                try writer.commitBoundaryFlush()
            }
            let writer = try SpoolWriter(directory: directory, logger: quietLogger)
            #expect(try writer.append(Array(first.prefix(2))) == 0)  // duplicate, cut off by a reconnect
            #expect(try writer.append(second) == second.count)
            let durable = try #require(try writer.commitBoundaryFlush())
            #expect(try readMessages(directory: directory, upTo: durable) == first + second)
            #expect(writer.duplicateMessagesSkipped == 2)
        }
    }
}
