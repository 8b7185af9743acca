import TestSupport
import Testing

@testable import ConduitCore
@testable import Spool

struct SpoolRoundTripTests {
    @Test func writeThenReadAcrossSeveralSegments() throws {
        try withUniqueTestDirectory { directory in
            var stream = FakeReplicationStream()
            let writer = try SpoolWriter(directory: directory, segmentTargetBytes: 4096, frameTargetBytes: 1024, logger: quietLogger)
            var appended: [SpooledMessage] = []
            var durable: SpoolDurablePosition?
            for index in 0..<60 {
                let transaction = stream.transaction(
                    rows: index % 7 == 0 ? 40 : 3, schema: index == 0 ? [.relation(PgOutputFixtures.relation)] : [])
                try writer.append(transaction)
                appended += transaction
                durable = try writer.commitBoundaryFlush()
                #expect(durable?.commitEndLSN == transaction.last?.lsn)
            }
            let segments = try SpoolDirectory.segments(in: directory)
            #expect(segments.count >= 4)
            #expect(try FileSystem.listDirectory(directory).sorted() == segments.map { SpoolFormat.segmentFileName(base: $0) })
            #expect(try readMessages(directory: directory, upTo: #require(durable)) == appended)
            #expect(writer.compressedBytesWritten > 0 && writer.uncompressedBytesWritten > writer.compressedBytesWritten)
        }
    }

    @Test func segmentsAreNamedByTheCommitEndTheyResumeFrom() throws {
        try withUniqueTestDirectory { directory in
            var stream = FakeReplicationStream()
            let writer = try SpoolWriter(directory: directory, segmentTargetBytes: 1, logger: quietLogger)
            let first = stream.transaction(rows: 2)
            try writer.append(first)
            let durable = try #require(try writer.commitBoundaryFlush())
            #expect(durable.segment == first.last!.lsn)
            #expect(durable.commitEndLSN == first.last!.lsn)
            let segments = try SpoolDirectory.segments(in: directory)
            #expect(segments == [first[0].lsn, first.last!.lsn])
            #expect(writer.currentSegment == first.last!.lsn)
            #expect(SpoolFormat.segmentFileName(base: first.last!.lsn) == "00000001000000F0.spool")
        }
    }

    @Test func relationAndTypeRecordsAreRepeatedAtEachSegmentStart() throws {
        try withUniqueTestDirectory { directory in
            var stream = FakeReplicationStream()
            let writer = try SpoolWriter(directory: directory, segmentTargetBytes: 1, logger: quietLogger)
            var altered = PgOutputFixtures.relation
            altered.columns.append(.init(flags: 0, name: "mood", typeOID: 90_001, typeModifier: -1))
            let mood = PgOutputMessage.TypeMessage(oid: 90_001, namespace: "public", name: "mood")
            let other = PgOutputMessage.Relation(relationID: 20_000, namespace: "app", name: "other", replicaIdentity: .full, columns: [])
            try writer.append(stream.transaction(rows: 30, schema: [.relation(PgOutputFixtures.relation), .relation(other)]))
            try writer.commitBoundaryFlush()
            try writer.append(stream.transaction(rows: 30, schema: [.type(mood), .relation(altered)]))
            let durable = try #require(try writer.commitBoundaryFlush())

            let segments = try SpoolDirectory.segments(in: directory)
            try #require(segments.count == 3)
            let reader = try SpoolReader(directory: directory)
            var schemaPerSegment: [[PgOutputMessage]] = []
            for segment in segments.dropFirst() {
                try reader.openCursor(segment: segment)
                let batch = try #require(try reader.nextRecords(upTo: durable))
                #expect(batch.isSchema && batch.endsAtTransactionBoundary)
                #expect(batch.records.allSatisfy { $0.kind == .schema })
                schemaPerSegment.append(try batch.records.map { try $0.decode() })
            }
            try #require(schemaPerSegment.count == 2)
            #expect(schemaPerSegment[0] == [.relation(PgOutputFixtures.relation), .relation(other)])
            #expect(schemaPerSegment[1] == [.type(mood), .relation(altered), .relation(other)])
            #expect(writer.relations[PgOutputFixtures.relation.relationID] == altered)
            #expect(writer.types[90_001] == mood)
        }
    }

    @Test func cursorOpenedAtACheckpointReplaysTheSchemaInForceThere() throws {
        try withUniqueTestDirectory { directory in
            var stream = FakeReplicationStream()
            let writer = try SpoolWriter(directory: directory, segmentTargetBytes: 1, logger: quietLogger)
            try writer.append(stream.transaction(rows: 1, schema: [.relation(PgOutputFixtures.relation)]))
            try writer.commitBoundaryFlush()
            try writer.append(stream.transaction(rows: 1))
            let checkpoint = try #require(try writer.commitBoundaryFlush())
            let tail = stream.transaction(rows: 2)
            try writer.append(tail)
            let durable = try #require(try writer.commitBoundaryFlush())

            let reader = try SpoolReader(directory: directory)
            try reader.openCursor(at: checkpoint.position)
            let schema = try #require(try reader.nextRecords(upTo: durable))
            #expect(schema.isSchema)
            #expect(try schema.records.map { try $0.decode() } == [.relation(PgOutputFixtures.relation)])
            #expect(schema.end == checkpoint.position)
            var rest: [SpooledMessage] = []
            while let batch = try reader.nextRecords(upTo: durable) {
                rest += batch.records.filter { $0.kind == .pgoutput }.map { SpooledMessage(lsn: $0.lsn, bytes: Array($0.payload)) }
            }
            #expect(rest == tail)
        }
    }

    @Test func cursorOpenedMidFirstSegmentReplaysRelationsSeenEarlierInIt() throws {
        try withUniqueTestDirectory { directory in
            var stream = FakeReplicationStream()
            var altered = PgOutputFixtures.relation
            altered.name = "renamed"
            let writer = try SpoolWriter(directory: directory, logger: quietLogger)
            try writer.append(stream.transaction(rows: 1, schema: [.relation(PgOutputFixtures.relation)]))
            try writer.commitBoundaryFlush()
            try writer.append(stream.transaction(rows: 1, schema: [.relation(altered)]))
            let checkpoint = try #require(try writer.commitBoundaryFlush())
            try writer.append(stream.transaction(rows: 1))
            let durable = try #require(try writer.commitBoundaryFlush())

            let reader = try SpoolReader(directory: directory)
            try reader.openCursor(at: checkpoint.position)
            let schema = try #require(try reader.nextRecords(upTo: durable))
            #expect(schema.isSchema && schema.records.allSatisfy { $0.kind == .schema })
            #expect(try schema.records.map { try $0.decode() } == [.relation(altered)])
            let next = try #require(try reader.nextRecords(upTo: durable))
            #expect(!next.isSchema && next.start == checkpoint.position)

            var misaligned = checkpoint.position
            misaligned.offset -= 1
            try reader.openCursor(at: misaligned)
            #expect(throws: SpoolError.self) { try reader.nextRecords(upTo: durable) }
        }
    }

    @Test func flushInsideATransactionThrowsAndEmptySpoolHasNoDurablePosition() throws {
        try withUniqueTestDirectory { directory in
            var stream = FakeReplicationStream()
            let writer = try SpoolWriter(directory: directory, logger: quietLogger)
            #expect(try writer.commitBoundaryFlush() == nil)
            #expect(writer.isAtTransactionBoundary)
            let transaction = stream.transaction(rows: 2)
            try writer.append(Array(transaction.dropLast()))
            #expect(!writer.isAtTransactionBoundary)
            #expect(throws: SpoolError.self) { try writer.commitBoundaryFlush() }
            try writer.append([transaction.last!])
            #expect(writer.isAtTransactionBoundary)
            #expect(try writer.commitBoundaryFlush()?.commitEndLSN == transaction.last!.lsn)
        }
    }

    @Test func aFailedWriteMakesTheWriterRefuseFurtherWork() throws {
        try withUniqueTestDirectory { directory in
            var stream = FakeReplicationStream()
            let spool = directory + "/spool"
            let writer = try SpoolWriter(directory: spool, segmentTargetBytes: 1, logger: quietLogger)
            try writer.append(stream.transaction(rows: 1))
            removeTestTree(spool)  // rotation after the fsync cannot create the next segment
            #expect {
                try writer.commitBoundaryFlush()
            } throws: { error in
                "\(error)".contains(spool) && "\(error)".contains("No such file or directory")
            }
            #expect {
                try writer.append(stream.transaction(rows: 1))
            } throws: { error in
                "\(error)".hasPrefix("spool writer is unusable after an earlier failure")
            }
            #expect(throws: SpoolError.self) { try writer.commitBoundaryFlush() }
        }
    }

    @Test func malformedTrackedMessagesAreRejected() throws {
        try withUniqueTestDirectory { directory in
            let writer = try SpoolWriter(directory: directory, logger: quietLogger)
            #expect(throws: SpoolError.self) { try writer.append(lsn: LSN(1), message: [UInt8(ascii: "B"), 0, 1]) }
            #expect(throws: SpoolError.self) { try writer.append(lsn: LSN(1), message: [UInt8]()) }
        }
    }
}
