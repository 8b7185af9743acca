import Foundation
import TestSupport
import Testing

@testable import ConduitCore

/// ``ChangeLogWriter/open(offset:rendering:)``: router renders an entry at once and inserts
/// `"last":true` when the transaction ends. Differential: a log written that way reads back
/// exactly like one whose entries were appended whole, in both layouts.
struct OpenChangeEntryTests {
    typealias Support = ShapeLogTestSupport

    /// `{"o":"<offset>","p":"yyy…"}`; the insertion point is after the offset's member.
    static func render(_ offset: LogOffset, size: Int, into buffer: inout [UInt8]) -> Int {
        let head = Array("{\"o\":\"\(offset)\"".utf8)
        buffer.append(contentsOf: head)
        let insertion = buffer.count
        buffer.append(contentsOf: Array(",\"p\":\"\(String(repeating: "y", count: size))\"}".utf8))
        return insertion
    }

    @Test(arguments: [false, true])
    func openedEntriesReadBackAsAppendedOnes(indexedLayout: Bool) throws {
        try Support.withTemporaryDirectory { opened in
            try Support.withTemporaryDirectory { appended in
                try ChangeLogTests.finishedSnapshot(opened)
                try ChangeLogTests.finishedSnapshot(appended)
                let openedWriter = try ChangeLogWriter(directory: opened, chunkThresholdBytes: 2048, indexedLayout: indexedLayout)
                let appendedWriter = try ChangeLogWriter(directory: appended, chunkThresholdBytes: 2048, indexedLayout: indexedLayout)
                var expected: [String] = []
                for tx in 1...40 {
                    let count = tx % 5 + 1
                    var held: OpenChangeEntry?
                    for op in 0..<count {
                        let offset = LogOffset(tx: Int64(tx * 1000), op: UInt64(op * 2))
                        let size = (tx * 37 + op * 101) % 700
                        if let previous = held { try openedWriter.close(previous) }
                        if op == 1 {
                            // A change rendered and then dropped leaves nothing behind.
                            let dropped = try openedWriter.open(offset: offset) { Self.render(offset, size: 5, into: &$0) }
                            openedWriter.discard(dropped)
                        }
                        held = try openedWriter.open(offset: offset) { Self.render(offset, size: size, into: &$0) }
                        let last = op == count - 1
                        var whole: [UInt8] = []
                        let insertion = Self.render(offset, size: size, into: &whole)
                        if last { whole.insert(contentsOf: Array(",\"last\":true".utf8), at: insertion) }
                        try appendedWriter.append(offset: offset, json: whole)
                        expected.append(String(decoding: whole, as: UTF8.self))
                    }
                    try openedWriter.close(held!, inserting: ",\"last\":true")
                    try ChangeLogWriter.commit([openedWriter, appendedWriter], appliedThroughLSN: LSN(UInt64(tx * 1000)))
                }
                let openedEntries = try ShapeLogEntryTableTests.offsets(ShapeLogReader(directory: opened))
                #expect(openedEntries == expected)
                #expect(try ShapeLogEntryTableTests.offsets(ShapeLogReader(directory: appended)) == openedEntries)
                let states = try [opened, appended].map { try #require(try ShapeLogReader(directory: $0).loadState()).changes }
                #expect(states[0] == states[1])
                #expect(states[0].closedChunkCount > 3)
            }
        }
    }

    @Test func anOpenEntryAdmitsNoOtherAppendOrCommitUntilClosed() throws {
        try Support.withTemporaryDirectory { directory in
            try ChangeLogTests.finishedSnapshot(directory)
            let writer = try ChangeLogWriter(directory: directory, chunkThresholdBytes: 2048)
            let first = LogOffset(tx: 1000, op: 0)
            let entry = try writer.open(offset: first) { Self.render(first, size: 3, into: &$0) }
            let second = LogOffset(tx: 1000, op: 2)
            #expect(throws: ShapeLogError.self) { try writer.open(offset: second) { Self.render(second, size: 3, into: &$0) } }
            #expect(throws: ShapeLogError.self) { try writer.append(offset: second, json: Array("{}".utf8)) }
            #expect(throws: ShapeLogError.self) { try writer.commit(appliedThroughLSN: LSN(1000)) }
            try writer.close(entry)
            #expect(throws: ShapeLogError.self) { try writer.close(entry) }
            try writer.commit(appliedThroughLSN: LSN(1000))
            #expect(try ShapeLogEntryTableTests.offsets(ShapeLogReader(directory: directory)).count == 1)
        }
    }
}
