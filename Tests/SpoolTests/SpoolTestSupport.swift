import Logging

@testable import ConduitCore
@testable import Spool

#if canImport(Glibc)
    @preconcurrency import Glibc
#else
    import Darwin
#endif

/// A logger that drops everything; tests never bootstrap the logging system.
let quietLogger = Logger(label: "conduit.spool.test", factory: { _ in SwiftLogNoOpLogHandler() })

/// One message as ingest would append it: XLogData dataStart and the pgoutput bytes.
struct SpooledMessage: Equatable {
    var lsn: LSN
    var bytes: [UInt8]
}

/// Generates pgoutput transactions with realistic, strictly increasing LSNs.
struct FakeReplicationStream {
    var nextLSN: UInt64 = 0x1_0000_0000
    var nextXID: UInt32 = 700

    static let items = PgOutputFixtures.relation

    /// Begin, optional schema messages, `rows` inserts into `relationID`, Commit.
    mutating func transaction(rows: Int, schema: [PgOutputMessage] = [], relationID: UInt32 = items.relationID) -> [SpooledMessage] {
        let start = nextLSN
        let commitLSN = start + UInt64(rows + schema.count + 1) * 64
        let endLSN = commitLSN + 48
        var messages = [
            SpooledMessage(
                lsn: LSN(start),
                bytes: PgOutputTestEncoder.encode(.begin(.init(finalLSN: LSN(commitLSN), commitTimestamp: Int64(start), xid: nextXID))))
        ]
        var lsn = start
        for message in schema {
            lsn += 64
            messages.append(SpooledMessage(lsn: LSN(lsn), bytes: PgOutputTestEncoder.encode(message)))
        }
        for row in 0..<rows {
            lsn += 64
            let insert = PgOutputMessage.insert(
                .init(
                    relationID: relationID,
                    newTuple: TupleData(columns: [
                        PgOutputFixtures.text("\(lsn)"), PgOutputFixtures.text("title \(row % 97)"),
                        PgOutputFixtures.text("5d41402abc4b2a76b9719d911017c592"),
                    ])
                )
            )
            messages.append(SpooledMessage(lsn: LSN(lsn), bytes: PgOutputTestEncoder.encode(insert)))
        }
        let commit = PgOutputMessage.commit(.init(flags: 0, commitLSN: LSN(commitLSN), endLSN: LSN(endLSN), commitTimestamp: Int64(start)))
        messages.append(SpooledMessage(lsn: LSN(endLSN), bytes: PgOutputTestEncoder.encode(commit)))
        nextLSN = endLSN + 16
        nextXID += 1
        return messages
    }
}

extension SpoolWriter {
    /// Appends every message, returning how many were stored (not skipped as duplicates).
    @discardableResult
    func append(_ messages: [SpooledMessage]) throws -> Int {
        var stored = 0
        for message in messages where try append(lsn: message.lsn, message: message.bytes) == .appended {
            stored += 1
        }
        return stored
    }
}

/// Reads every batch from the first segment up to `limit`.
func readBatches(directory: String, upTo limit: SpoolDurablePosition) throws -> [SpoolBatch] {
    let reader = try SpoolReader(directory: directory)
    guard let first = try reader.segments().first else { return [] }
    try reader.openCursor(segment: first)
    var batches: [SpoolBatch] = []
    while let batch = try reader.nextRecords(upTo: limit) {
        batches.append(batch)
    }
    return batches
}

/// The pgoutput records (schema replays excluded) up to `limit`, as appended.
func readMessages(directory: String, upTo limit: SpoolDurablePosition) throws -> [SpooledMessage] {
    try readBatches(directory: directory, upTo: limit).flatMap(\.records).filter { $0.kind == .pgoutput }.map {
        SpooledMessage(lsn: $0.lsn, bytes: Array($0.payload))
    }
}

func spoolTestFileSize(_ path: String) throws -> UInt64 {
    try PosixFile.openForReading(path).size()
}

func spoolTestRead(_ path: String) throws -> [UInt8] {
    let file = try PosixFile.openForReading(path)
    return try file.read(count: Int(try file.size()), at: 0)
}

func spoolTestWrite(_ path: String, _ bytes: [UInt8]) throws {
    let file = try PosixFile(path: path, flags: O_WRONLY | O_CREAT | O_TRUNC)
    try file.write(bytes, at: 0)
}

/// The size of the header of the segment file at `path`.
func spoolTestHeaderSize(_ path: String) throws -> Int {
    try SpoolSegmentHeader.read(from: PosixFile.openForReading(path)).size
}
