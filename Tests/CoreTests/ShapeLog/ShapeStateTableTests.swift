import Foundation
import Testing

@testable import ConduitCore

/// `shapes/.states`: every shape's committed change-log state as a record of one shared file
/// (``ShapeStateTable``), published by group commits and read by serve through the record
/// number in `shape.json`.
@Suite struct ShapeStateTableTests {
    typealias Support = ShapeLogTestSupport

    /// A small cache of its own, so these tests hold few descriptors while others count theirs.
    static let descriptors = ShapeLogDescriptorCache(capacity: 16)

    /// A shape folder with a finished snapshot whose change log keeps its state in `record`.
    static func writer(_ root: String, _ handle: String, table: ShapeStateTable, record: Int, fresh: Bool) throws
        -> ChangeLogWriter
    {
        let directory = root + "/" + handle
        if fresh {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try ChangeLogTests.finishedSnapshot(directory)
        }
        return try ChangeLogWriter(
            directory: directory, chunkThresholdBytes: 1 << 20,
            stateStore: .table(table, record: record, tag: ShapeStateTable.tag(handle: handle), fresh: fresh),
            descriptors: descriptors)
    }

    static func reader(_ root: String, _ handle: String, record: Int) -> ShapeLogReader {
        ShapeLogReader(
            directory: root + "/" + handle,
            stateLocation: ShapeStateLocation(table: root + "/shape-states", record: record, handle: handle))
    }

    static func append(_ writer: ChangeLogWriter, tx: Int64) throws {
        let offset = LogOffset(tx: tx, op: 0)
        try writer.append(offset: offset, json: ChangeLogTests.entry(offset.description))
    }

    @Test func groupCommitsPublishEveryShapeThroughTheTable() throws {
        try Support.withTemporaryDirectory { root in
            let table = try ShapeStateTable(path: root + "/shape-states")
            let handles = (0..<40).map { "shape-\($0)" }
            let writers = try handles.map { handle in
                try Self.writer(root, handle, table: table, record: table.claimFree(), fresh: true)
            }
            for round in 1...3 {
                // Every other shape gets an entry each round.
                for (index, writer) in writers.enumerated() where (index + round) % 2 == 0 {
                    try Self.append(writer, tx: Int64(round * 100))
                }
                try ChangeLogWriter.commit(writers, appliedThroughLSN: LSN(UInt64(round * 100)))
            }
            #expect(!FileManager.default.fileExists(atPath: root + "/shape-0/changes.state"))
            for (index, handle) in handles.enumerated() {
                let state = try #require(try Self.reader(root, handle, record: index).loadState())
                // A shape without entries in the last commit advanced its LSN in memory only.
                var expected = writers[index].committedState
                expected.appliedThroughLSN = state.changes.appliedThroughLSN
                #expect(state.changes == expected)
                #expect(state.changes.entryCount == (index % 2 == 0 ? 1 : 2))
            }

            // A restart reads every state back from the file.
            let reopened = try ShapeStateTable(path: root + "/shape-states")
            for (index, handle) in handles.enumerated() {
                let writer = try Self.writer(root, handle, table: reopened, record: index, fresh: false)
                #expect(writer.committedState.entryCount == writers[index].committedState.entryCount)
                #expect(writer.committedState.latest == writers[index].committedState.latest)
                #expect(reopened.claim(index))
            }
            #expect(!reopened.claim(3), "a record is held once")
        }
    }

    /// A slot passes its check only for the shape it was written for: a reader holding a stale
    /// record number, or another shape's, sees no state rather than a wrong one.
    @Test func recordsAreCheckedAgainstTheShapesHandle() throws {
        try Support.withTemporaryDirectory { root in
            let table = try ShapeStateTable(path: root + "/shape-states")
            let writer = try Self.writer(root, "mine", table: table, record: table.claimFree(), fresh: true)
            try Self.append(writer, tx: 10)
            try writer.commit(appliedThroughLSN: LSN(10))
            #expect(try Self.reader(root, "mine", record: 0).loadState()?.changes == writer.committedState)
            #expect(try Self.reader(root, "other", record: 0).loadState() == nil)
            #expect(try Self.reader(root, "mine", record: 7).loadState() == nil, "beyond the file")
            #expect(throws: ShapeLogError.self) {
                try ChangeLogWriter(
                    directory: root + "/mine", chunkThresholdBytes: 1 << 20,
                    stateStore: .table(table, record: 0, tag: ShapeStateTable.tag(handle: "other"), fresh: false))
            }
        }
    }

    /// A removed shape's record is zeroed before it is handed out again, lowest number first.
    @Test func releasedRecordsAreClearedAndReused() throws {
        try Support.withTemporaryDirectory { root in
            let table = try ShapeStateTable(path: root + "/shape-states")
            let first = try Self.writer(root, "a", table: table, record: table.claimFree(), fresh: true)
            _ = try Self.writer(root, "b", table: table, record: table.claimFree(), fresh: true)
            try Self.append(first, tx: 10)
            try first.commit(appliedThroughLSN: LSN(10))
            try table.release(0)
            #expect(try Self.reader(root, "a", record: 0).loadState() == nil)
            #expect(table.claimFree() == 0)
            #expect(table.claimFree() == 2)

            // At start-up only claimed records stay held.
            let reopened = try ShapeStateTable(path: root + "/shape-states")
            #expect(reopened.claim(1))
            reopened.collectFree()
            #expect(reopened.claimFree() == 0)
            #expect(reopened.claimFree() == 2)
        }
    }

    /// router dies after staging (even writing) new slots but before the table is flushed and
    /// the commit marked: the previous slot is still there, and a torn new slot fails its CRC.
    @Test func aTornSlotLeavesThePreviousState() throws {
        try Support.withTemporaryDirectory { root in
            let path = root + "/shape-states"
            let committed: ChangeLogCommittedState
            do {
                let table = try ShapeStateTable(path: path)
                let writer = try Self.writer(root, "s", table: table, record: table.claimFree(), fresh: true)
                try Self.append(writer, tx: 10)
                try writer.commit(appliedThroughLSN: LSN(10))
                committed = writer.committedState
                try Self.append(writer, tx: 20)
                #expect(try writer.prepareGroupCommit(appliedThroughLSN: LSN(20)))
                try writer.syncDataFiles()
                try writer.writeStateSlot()
                try table.writeStaged()
            }
            // The new slot (sequence 2, slot A) is torn: its second half never reached the disk.
            let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
            try handle.seek(toOffset: UInt64(ShapeStateTable.headerSize + 64))
            handle.write(Data(repeating: 0, count: 64))
            try handle.close()

            #expect(try Self.reader(root, "s", record: 0).loadState()?.changes == committed)
            let table = try ShapeStateTable(path: path)
            let recovered = try Self.writer(root, "s", table: table, record: 0, fresh: false)
            #expect(recovered.committedState == committed)
            try Self.append(recovered, tx: 30)
            try recovered.commit(appliedThroughLSN: LSN(30))
            let plan = try #require(Support.ready(try Self.reader(root, "s", record: 0).plan(after: LogOffset(tx: 10, op: 0))))
            #expect(recovered.committedState.entryCount == 2)
            #expect(try Self.reader(root, "s", record: 0).readEntries(plan).count == 1)
        }
    }

    /// Staged records are written in runs of nearby records; records between them keep the
    /// bytes they hold.
    @Test func stagedRecordsAreWrittenInRuns() throws {
        try Support.withTemporaryDirectory { root in
            let path = root + "/shape-states"
            let table = try ShapeStateTable(path: path)
            let writers = try (0..<100).map { try Self.writer(root, "s\($0)", table: table, record: table.claimFree(), fresh: true) }
            let before = try Data(contentsOf: URL(fileURLWithPath: path))
            let touched: Set<Int> = [0, 1, 5, 60, 99]
            for index in touched { try Self.append(writers[index], tx: 10) }
            try ChangeLogWriter.commit(writers, appliedThroughLSN: LSN(10))
            let after = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(after.count == before.count)
            for record in 0..<100 {
                let range = ShapeStateTable.offset(ofRecord: record)..<ShapeStateTable.offset(ofRecord: record + 1)
                #expect((after[range] != before[range]) == touched.contains(record), "record \(record)")
            }
        }
    }

    @Test func aForeignFileIsRefused() throws {
        try Support.withTemporaryDirectory { root in
            let path = root + "/shape-states"
            try Data(repeating: 7, count: 512).write(to: URL(fileURLWithPath: path))
            #expect(throws: ShapeLogError.self) { try ShapeStateTable(path: path) }
        }
    }
}
