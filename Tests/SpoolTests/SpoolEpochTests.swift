import TestSupport
import Testing

@testable import ConduitCore
@testable import Spool

/// Stream epochs, reset records and position frames (issue 7: continuity is checked end to end).
struct SpoolEpochTests {
    static let identity = SpoolStreamIdentity(
        systemIdentifier: 7_300_000_000_000_000_001, timeline: 1, database: "app", slot: "conduit_slot_default")
    static let other = SpoolStreamIdentity(
        systemIdentifier: 7_400_000_000_000_000_002, timeline: 3, database: "app", slot: "conduit_slot_default")

    @Test func aResetStartsASegmentWhoseFirstRecordTellsReadersToDropEverything() throws {
        try withUniqueTestDirectory { directory in
            var stream = FakeReplicationStream()
            let writer = try SpoolWriter(directory: directory, logger: quietLogger)
            writer.beginEpochForTest(SpoolEpoch(number: 1, start: LSN(stream.nextLSN), identity: Self.identity))
            let before = stream.transaction(rows: 2, schema: [.relation(PgOutputFixtures.relation)])
            try writer.append(before)
            let oldEnd = try #require(try writer.commitBoundaryFlush())

            // The new server's LSNs lie far behind the old ones (a restore): keys must still sort.
            var restored = FakeReplicationStream(nextLSN: 0x5000, nextXID: 10)
            let reset = SpoolStreamReset(epoch: 2, resumeLSN: LSN(0x5000), identity: Self.other, reason: "timeline changed")
            let afterReset = try writer.beginEpoch(SpoolEpoch(number: 2, start: LSN(0x5000), identity: Self.other), reset: reset)
            #expect(afterReset.segment == LSN(oldEnd.segment.value + 1))
            #expect(afterReset.commitEndLSN == LSN(0x5000))
            #expect(writer.lastCommitEndLSN == LSN(0x5000))
            #expect(writer.relations.isEmpty, "the new stream sends its Relation messages again")
            let after = restored.transaction(rows: 3, schema: [.relation(PgOutputFixtures.relation)])
            #expect(try writer.append(after) == after.count, "lower LSNs of the new epoch are not taken for duplicates")
            let durable = try #require(try writer.commitBoundaryFlush())

            let batches = try readBatches(directory: directory, upTo: durable)
            let records = batches.flatMap(\.records)
            let resets = records.filter { $0.kind == .streamReset }
            #expect(resets.count == 1)
            #expect(try SpoolStreamReset(record: resets[0]) == reset)
            // A consumer that decodes every record as pgoutput sees a harmless logical message.
            guard case .logicalMessage(let message) = try resets[0].decode() else {
                Issue.record("a reset record must decode as a logical message")
                return
            }
            #expect(message.prefix == SpoolStreamReset.messagePrefix)
            let pgoutput = records.filter { $0.kind == .pgoutput }.map { SpooledMessage(lsn: $0.lsn, bytes: Array($0.payload)) }
            #expect(pgoutput == before + after)
            #expect(records.firstIndex { $0.kind == .streamReset }! == before.count, "the reset sits exactly between the epochs")

            let reopened = try SpoolWriter(directory: directory, logger: quietLogger)
            #expect(reopened.epoch == SpoolEpoch(number: 2, start: LSN(0x5000), identity: Self.other))
            #expect(reopened.lastCommitEndLSN == after.last!.lsn)
            #expect(reopened.durablePosition == durable)
        }
    }

    @Test func aFirstEpochOnAnEmptySpoolIsDurableBeforeAnyData() throws {
        try withUniqueTestDirectory { directory in
            let writer = try SpoolWriter(directory: directory, logger: quietLogger)
            #expect(writer.isEmpty)
            let epoch = SpoolEpoch(number: 1, start: LSN(0x1_2345), identity: Self.identity)
            let position = try writer.beginEpoch(epoch, reset: nil)
            #expect(position.segment == LSN(0x1_2345))
            let reopened = try SpoolWriter(directory: directory, logger: quietLogger)
            #expect(reopened.epoch == epoch)
            #expect(reopened.lastCommitEndLSN == LSN(0x1_2345))
            #expect(reopened.durablePosition == position)
            #expect(try readBatches(directory: directory, upTo: position).isEmpty)
        }
    }

    @Test func aRecordedPositionIsWhereReplicationResumes() throws {
        try withUniqueTestDirectory { directory in
            var stream = FakeReplicationStream()
            let first = stream.transaction(rows: 2)
            let keepalive = LSN(stream.nextLSN + 10_000)
            let position: SpoolDurablePosition
            do {
                let writer = try SpoolWriter(directory: directory, logger: quietLogger)
                try writer.append(first)
                position = try #require(try writer.recordPosition(keepalive))
                #expect(try writer.recordPosition(LSN(100)) == nil, "a position behind the stream is not recorded")
                #expect(writer.lastCommitEndLSN == keepalive)
                #expect(writer.lastTransactionEndLSN == first.last!.lsn)
                try writer.commitBoundaryFlush()
            }
            let reopened = try SpoolWriter(directory: directory, logger: quietLogger)
            #expect(reopened.lastCommitEndLSN == keepalive)
            #expect(reopened.lastTransactionEndLSN == first.last!.lsn)
            #expect(reopened.durablePosition == position)
            let batches = try readBatches(directory: directory, upTo: position)
            #expect(batches.last?.records.isEmpty == true)
            #expect(batches.last?.lastCommitEndLSN == keepalive)
            #expect(batches.last?.endsAtTransactionBoundary == true)
        }
    }

    @Test func aMissingMiddleSegmentStopsRecoveryAndTheReader() throws {
        try withUniqueTestDirectory { directory in
            var stream = FakeReplicationStream()
            let writer = try SpoolWriter(directory: directory, segmentTargetBytes: 1, logger: quietLogger)
            var last: SpoolDurablePosition?
            for _ in 0..<3 {
                try writer.append(stream.transaction(rows: 2, schema: [.relation(PgOutputFixtures.relation)]))
                last = try writer.commitBoundaryFlush()
            }
            let segments = try SpoolDirectory.segments(in: directory)
            #expect(segments.count == 4)
            try FileSystem.removeFile(SpoolDirectory.path(of: segments[1], in: directory))

            #expect {
                _ = try SpoolWriter(directory: directory, logger: quietLogger)
            } throws: { error in
                guard case SpoolError.segmentGap(_, let after, let next, _) = error else { return false }
                return after == segments[0] && next == segments[2] && "\(error)".contains("move the spool directory")
            }
            let reader = try SpoolReader(directory: directory)
            try reader.openCursor(segment: segments[0])
            #expect {
                while try reader.nextRecords(upTo: try #require(last)) != nil {}
            } throws: { error in
                guard case SpoolError.segmentGap(_, let after, let next, _) = error else { return false }
                return after == segments[0] && next == segments[2]
            }
        }
    }

    @Test func aFlippedByteInAnEarlierSegmentIsCorruptionForTheReader() throws {
        try withUniqueTestDirectory { directory in
            var stream = FakeReplicationStream()
            let writer = try SpoolWriter(directory: directory, segmentTargetBytes: 1, logger: quietLogger)
            try writer.append(stream.transaction(rows: 20))
            try writer.commitBoundaryFlush()
            try writer.append(stream.transaction(rows: 2))
            let durable = try #require(try writer.commitBoundaryFlush())
            let first = try #require(try SpoolDirectory.segments(in: directory).first)
            let path = SpoolDirectory.path(of: first, in: directory)
            var bytes = try spoolTestRead(path)
            let offset = try spoolTestHeaderSize(path)
            bytes[offset + SpoolFormat.frameHeaderSize + 10] ^= 0x01
            try spoolTestWrite(path, bytes)
            #expect {
                _ = try readBatches(directory: directory, upTo: durable)
            } throws: { error in
                guard case SpoolError.corruptFrame(let errorPath, let errorOffset, _) = error else { return false }
                return errorPath == path && errorOffset == UInt64(offset)
            }
        }
    }

    @Test func damageThatPostgreSQLAlreadyConfirmedIsNeverCut() throws {
        try withUniqueTestDirectory { directory in
            var stream = FakeReplicationStream()
            let writer = try SpoolWriter(directory: directory, logger: quietLogger)
            let first = stream.transaction(rows: 2)
            try writer.append(first)
            let afterFirst = try #require(try writer.commitBoundaryFlush())
            let second = stream.transaction(rows: 2)
            try writer.append(second)
            let afterSecond = try #require(try writer.commitBoundaryFlush())
            let path = SpoolDirectory.path(of: afterSecond.segment, in: directory)
            var bytes = try spoolTestRead(path)
            bytes[Int(afterFirst.offset) + SpoolFormat.frameHeaderSize + 2] ^= 0x10  // the last, confirmed frame
            try spoolTestWrite(path, bytes)

            let reopened = try SpoolWriter(directory: directory, logger: quietLogger)
            #expect(reopened.unresolvedTail?.offset == afterFirst.offset)
            #expect(throws: SpoolError.self) { try reopened.append(stream.transaction(rows: 1)) }
            #expect {
                try reopened.resolveTail(confirmedFlush: second.last!.lsn)
            } throws: { error in
                guard case SpoolError.damagedConfirmedData(let errorPath, let offset, _, let confirmed, let end) = error else {
                    return false
                }
                return errorPath == path && offset == afterFirst.offset && confirmed == second.last!.lsn && end == first.last!.lsn
            }
            #expect(try spoolTestFileSize(path) == afterSecond.offset, "the damaged bytes stay for the operator")
            // A reset (the runbook's way out) cuts it: nothing before the reset counts any more.
            let reset = SpoolStreamReset(epoch: 1, resumeLSN: LSN(stream.nextLSN + 100), identity: Self.identity, reason: "test")
            try reopened.beginEpoch(SpoolEpoch(number: 1, start: reset.resumeLSN, identity: Self.identity), reset: reset)
            #expect(try spoolTestFileSize(path) == afterFirst.offset)
        }
    }

    @Test func aVersion1SpoolIsReadAndAdoptedWithoutAReset() throws {
        try withUniqueTestDirectory { directory in
            var stream = FakeReplicationStream()
            let first = stream.transaction(rows: 2, schema: [.relation(PgOutputFixtures.relation)])
            let base: LSN
            do {
                let writer = try SpoolWriter(directory: directory, logger: quietLogger)
                try writer.append(first)
                let durable = try #require(try writer.commitBoundaryFlush())
                base = durable.segment
            }
            // Rewrite the segment with a version-1 header, as main wrote it.
            let path = SpoolDirectory.path(of: base, in: directory)
            let bytes = try spoolTestRead(path)
            try spoolTestWrite(path, Self.version1Header(base: base) + bytes[try spoolTestHeaderSize(path)...])

            let writer = try SpoolWriter(directory: directory, logger: quietLogger)
            #expect(writer.epoch == nil)
            #expect(writer.lastCommitEndLSN == first.last!.lsn)
            let adopted = SpoolEpoch(number: 0, start: .zero, identity: Self.identity)
            let position = try writer.beginEpoch(adopted, reset: nil)
            #expect(position.commitEndLSN == first.last!.lsn)
            let second = stream.transaction(rows: 3)
            try writer.append(second)
            let durable = try #require(try writer.commitBoundaryFlush())
            #expect(try readMessages(directory: directory, upTo: durable) == first + second)
            let reopened = try SpoolWriter(directory: directory, logger: quietLogger)
            #expect(reopened.epoch == adopted)
            #expect(reopened.relations[PgOutputFixtures.relation.relationID] == PgOutputFixtures.relation)
        }
    }

    static func version1Header(base: LSN) -> [UInt8] {
        var bytes = Array("CDSPOOL\n".utf8)
        bytes.appendInteger(UInt32(1), .bigEndian)
        bytes.appendInteger(base.value, .bigEndian)
        bytes.appendInteger(UInt64(0), .bigEndian)
        bytes.appendInteger(CRC32C.checksum(bytes), .bigEndian)
        return bytes
    }

    @Test func segmentHeadersRoundTripAndRejectDamage() throws {
        let header = SpoolSegmentHeader(
            base: LSN(0xABCDEF), previousCommitEnd: LSN(0xABCDE0), previousSegment: LSN(0x100),
            epoch: SpoolEpoch(number: 4, start: LSN(0x99), identity: Self.identity), startsEpoch: true)
        let bytes = header.encoded()
        #expect(bytes.count == header.size)
        #expect(try SpoolSegmentHeader.decode(bytes + [1, 2, 3]).get() == header)
        for index in bytes.indices {
            var damaged = bytes
            damaged[index] ^= 0x04
            #expect(throws: HeaderProblem.self) { try SpoolSegmentHeader.decode(damaged).get() }
        }
    }
}

extension SpoolWriter {
    /// Gives a test spool a stream identity before its first segment exists.
    func beginEpochForTest(_ epoch: SpoolEpoch) {
        self.epoch = epoch
    }
}
