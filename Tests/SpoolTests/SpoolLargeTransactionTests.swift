import Foundation
import TestSupport
import Testing

@testable import ConduitCore
@testable import Spool

struct SpoolLargeTransactionTests {
    @Test func aMillionRowTransactionIsWrittenWithBoundedMemory() throws {
        try withUniqueTestDirectory { directory in
            let rows = 1_000_000
            let frameTarget = 1 << 20
            let writer = try SpoolWriter(directory: directory, logger: quietLogger)
            var lsn: UInt64 = 0x2_0000_0000
            let commitLSN = lsn + UInt64(rows + 1) * 100
            let begin = PgOutputTestEncoder.encode(.begin(.init(finalLSN: LSN(commitLSN), commitTimestamp: 1, xid: 9)))
            try writer.append(lsn: LSN(lsn), message: begin)
            var insert = PgOutputTestEncoder.encode(
                .insert(
                    .init(
                        relationID: 1,
                        newTuple: TupleData(columns: [
                            PgOutputFixtures.text("0000000000"), PgOutputFixtures.text(String(repeating: "x", count: 60)),
                        ])))
            )
            var maxPending = 0
            for row in 0..<rows {
                lsn += 100
                // Vary the first column so frames are not trivially compressible.
                var value = row
                for digit in 0..<10 {
                    insert[19 - digit] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
                try insert.withUnsafeBytes { _ = try writer.append(lsn: LSN(lsn), message: $0) }
                maxPending = max(maxPending, writer.pendingBytes)
            }
            #expect(maxPending < frameTarget + insert.count + SpoolFormat.recordHeaderSize)
            let endLSN = LSN(commitLSN + 40)
            try writer.append(
                lsn: endLSN,
                message: PgOutputTestEncoder.encode(.commit(.init(commitLSN: LSN(commitLSN), endLSN: endLSN, commitTimestamp: 1))))
            let durable = try #require(try writer.commitBoundaryFlush())
            #expect(durable.commitEndLSN == endLSN)

            let reopened = try SpoolWriter(directory: directory, logger: quietLogger)
            #expect(reopened.lastCommitEndLSN == endLSN)
            #expect(reopened.durablePosition == durable)

            let reader = try SpoolReader(directory: directory)
            try reader.openCursor(segment: durable.segment)
            var count = 0
            var frames = 0
            while let batch = try reader.nextRecords(upTo: durable) {
                count += batch.records.count
                frames += 1
            }
            #expect(count == rows + 2)
            #expect(frames > 50)
        }
    }

    /// Writer throughput on pgoutput-like rows (id bigint, k int, v md5 text, ts timestamptz, about
    /// 100 bytes each, like libpq-notes §8), in transactions of 1,000 rows, with a group-commit flush
    /// (fsync) every `flushEvery` transactions. Prints records/s, MB/s and the compression ratio;
    /// asserts nothing about time. Run with:
    /// `CONDUIT_SPOOL_BENCHMARK=1 swift test -c release --filter SpoolLargeTransactionTests/writerThroughput`
    @Test(.enabled(if: ProcessInfo.processInfo.environment["CONDUIT_SPOOL_BENCHMARK"] != nil), .serialized, arguments: [1, 10, 1_000])
    func writerThroughput(flushEvery: Int) throws {
        try withUniqueTestDirectory { directory in
            let transactions = 1_000
            let rowsPerTransaction = 1_000
            var generator = SeededTestRandom(seed: 1)
            // 50,000 distinct rows (about 5 MB): more than a 1 MiB frame holds, so each frame's
            // compression sees only distinct rows, as with real traffic.
            var messages: [[UInt8]] = []
            for row in 0..<50_000 {
                let md5 = (0..<32).map { _ in "0123456789abcdef".randomElement(using: &generator)! }
                messages.append(
                    PgOutputTestEncoder.encode(
                        .insert(
                            .init(
                                relationID: 16_385,
                                newTuple: TupleData(columns: [
                                    PgOutputFixtures.text("\(row + 1_000_000)"), PgOutputFixtures.text("\(row % 1000)"),
                                    PgOutputFixtures.text(String(md5)),
                                    PgOutputFixtures.text("2026-11-27 23:43:58.\(row * 7 % 1_000_000)+00"),
                                ])
                            )
                        )
                    )
                )
            }
            let writer = try SpoolWriter(directory: directory, logger: quietLogger)
            var lsn: UInt64 = 0x1_0000_0000
            var payloadBytes = 0
            let clock = ContinuousClock()
            let start = clock.now
            for transaction in 0..<transactions {
                let commitLSN = lsn + UInt64(rowsPerTransaction + 1) * 100
                try writer.append(
                    lsn: LSN(lsn),
                    message: PgOutputTestEncoder.encode(
                        .begin(.init(finalLSN: LSN(commitLSN), commitTimestamp: 0, xid: UInt32(transaction)))))
                for row in 0..<rowsPerTransaction {
                    let message = messages[(transaction * rowsPerTransaction + row) % messages.count]
                    lsn += 100
                    try message.withUnsafeBytes { _ = try writer.append(lsn: LSN(lsn), message: $0) }
                    payloadBytes += message.count
                }
                let endLSN = LSN(commitLSN + 40)
                try writer.append(
                    lsn: endLSN,
                    message: PgOutputTestEncoder.encode(.commit(.init(commitLSN: LSN(commitLSN), endLSN: endLSN, commitTimestamp: 0))))
                if transaction % flushEvery == flushEvery - 1 {
                    try writer.commitBoundaryFlush()
                }
                lsn = commitLSN + 100
            }
            let elapsed = clock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let records = transactions * (rowsPerTransaction + 2)
            print(
                """
                spool writer, fsync every \(flushEvery) txn: \(records) records (\(payloadBytes / records) B avg pgoutput) in \(String(format: "%.2f", seconds)) s \
                = \(Int(Double(records) / seconds)) records/s, \
                \(String(format: "%.1f", Double(writer.uncompressedBytesWritten) / seconds / 1e6)) MB/s uncompressed; \
                compression \(writer.uncompressedBytesWritten) -> \(writer.compressedBytesWritten) bytes \
                = \(String(format: "%.2f", Double(writer.uncompressedBytesWritten) / Double(writer.compressedBytesWritten)))x
                """
            )

            // Read everything back and decode every message, as router does.
            let limit = try #require(try writer.commitBoundaryFlush())
            let readStart = clock.now
            var decoded = 0
            let reader = try SpoolReader(directory: directory)
            try reader.openCursor(segment: try #require(try reader.segments().first))
            while let batch = try reader.nextRecords(upTo: limit) {
                for record in batch.records {
                    _ = try record.decode()
                    decoded += 1
                }
            }
            let readElapsed = clock.now - readStart
            let readSeconds = Double(readElapsed.components.seconds) + Double(readElapsed.components.attoseconds) / 1e18
            print(
                "spool reader: \(decoded) records read and decoded in \(String(format: "%.2f", readSeconds)) s = \(Int(Double(decoded) / readSeconds)) records/s"
            )
        }
    }
}
