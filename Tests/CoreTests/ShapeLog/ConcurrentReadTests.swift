import Foundation
import TestSupport
import Testing

@testable import ConduitCore

/// A reader in another thread (standing in for another process) while the writer appends.
struct ConcurrentReadTests {
    typealias Support = ShapeLogTestSupport

    /// Reads the whole change log by following chunk ends, as a client would.
    static func readAll(_ reader: ShapeLogReader) throws -> [String] {
        var entries: [String] = []
        var offset = LogOffset.snapshotEnd
        while true {
            guard case .ready(let plan) = try reader.plan(after: offset) else { return entries }
            entries += Support.strings(try reader.readEntries(plan))
            offset = plan.end
            if plan.isUpToDate { return entries }
        }
    }

    @Test(.timeLimit(.minutes(1))) func readerOnlyEverSeesWholeCommittedTransactions() async throws {
        try await Support.withTemporaryDirectoryAsync { directory in
            let snapshot = try SnapshotWriter(directory: directory, chunkThresholdBytes: 100)
            try snapshot.finish(snapshotEnd: Support.json("{}"))
            let transactions = 150
            let writerTask = Task.detached {
                // Small chunks and large uncommitted tails: readers race with write-through.
                let writer = try ChangeLogWriter(directory: directory, chunkThresholdBytes: 200)
                for tx in 1...transactions {
                    for op in 0..<3 {
                        let json = "{\"tx\":\(tx),\"op\":\(op),\"pad\":\"" + String(repeating: "p", count: 40 * op) + "\"}"
                        try writer.append(offset: LogOffset(tx: Int64(tx), op: UInt64(op * 2)), json: Array(json.utf8))
                    }
                    try writer.commit(appliedThroughLSN: LSN(UInt64(tx)))
                }
            }
            let reader = ShapeLogReader(directory: directory)
            var observations = 0
            while observations < 400 {
                let entries = try Self.readAll(reader)
                #expect(entries.count % 3 == 0)
                let transactionsSeen = entries.count / 3
                let expected = (0..<entries.count).map { index -> String in
                    let tx = index / 3 + 1
                    let op = index % 3
                    return "{\"tx\":\(tx),\"op\":\(op),\"pad\":\"" + String(repeating: "p", count: 40 * op) + "\"}"
                }
                #expect(entries == expected)
                observations += 1
                if transactionsSeen == transactions { break }
            }
            try await writerTask.value
            #expect(try Self.readAll(reader).count == transactions * 3)
        }
    }
}

extension ShapeLogTestSupport {
    static func withTemporaryDirectoryAsync<R>(_ body: (String) async throws -> R) async throws -> R {
        let path = FileManager.default.temporaryDirectory.path + "/shapelog-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try await body(path)
    }
}
