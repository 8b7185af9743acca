import Foundation
import Synchronization
import Testing

@testable import ConduitCore

/// Group commits of many change logs (``ChangeLogWriter/commit(_:appliedThroughLSN:)``), and
/// one held apart at its flush (``ChangeLogGroupCommit``): router keeps appending while `syncfs`
/// runs on ``FileSystemFlusher``'s thread.
@Suite struct ChangeLogGroupCommitTests {
    typealias Support = ShapeLogTestSupport
    typealias Table = ShapeStateTableTests

    static func reader(_ root: String, _ index: Int) -> ShapeLogReader {
        Table.reader(root, "shape-\(index)", record: index)
    }

    static func entry(_ offset: String) -> String {
        String(decoding: ChangeLogTests.entry(offset), as: UTF8.self)
    }

    static func entries(_ root: String, _ index: Int) throws -> [String] {
        let reader = reader(root, index)
        let plan = try #require(Support.ready(try reader.plan(after: .snapshotEnd)))
        return Support.strings(try reader.readEntries(plan))
    }

    @Test func groupCommitPublishesEveryShape() throws {
        try ShapeLogTestSupport.withTemporaryDirectory { root in
            var writers: [ChangeLogWriter] = []
            for shape in 0..<20 {
                let directory = root + "/\(shape)"
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                let snapshot = try SnapshotWriter(directory: directory, chunkThresholdBytes: 100)
                try snapshot.finish(snapshotEnd: Array("{}".utf8))
                writers.append(try ChangeLogWriter(directory: directory, chunkThresholdBytes: 100))
            }
            // Every other shape gets an entry; the rest only advance their LSN.
            for (position, writer) in writers.enumerated() where position % 2 == 0 {
                try writer.append(offset: LogOffset(tx: 70, op: UInt64(position * 2)), json: Array("{\"n\":\(position)}".utf8))
            }
            try ChangeLogWriter.commit(writers, appliedThroughLSN: LSN(70))
            for (position, writer) in writers.enumerated() {
                #expect(writer.committedState.appliedThroughLSN == LSN(70))
                #expect(!writer.hasUncommittedEntries)
                let reopened = try ChangeLogWriter(directory: root + "/\(position)", chunkThresholdBytes: 100)
                #expect(reopened.committedState.entryCount == (position % 2 == 0 ? 1 : 0))
                let reader = ShapeLogReader(directory: root + "/\(position)")
                let plan = try #require(ShapeLogTestSupport.ready(try reader.plan(after: .snapshotEnd)))
                #expect(try reader.readEntries(plan).count == (position % 2 == 0 ? 1 : 0))
            }
            let names = try FileManager.default.contentsOfDirectory(atPath: root + "/0")
            #expect(!names.contains { $0.hasSuffix(".tmp") })
        }
    }

    @Test func groupCommitOfOneShapeIsAPlainCommit() throws {
        try ShapeLogTestSupport.withTemporaryDirectory { directory in
            let writer = try ChangeLogWriter(directory: directory, chunkThresholdBytes: 100)
            try writer.append(offset: LogOffset(tx: 5, op: 0), json: Array("{}".utf8))
            try ChangeLogWriter.commit([writer], appliedThroughLSN: LSN(5))
            #expect(writer.committedState.latest == LogOffset(tx: 5, op: 0))
            #expect(try ChangeLogWriter(directory: directory, chunkThresholdBytes: 100).committedState.entryCount == 1)
        }
    }

    @Test func entriesAppendedDuringTheFlushBelongToTheNextCommit() throws {
        try Support.withTemporaryDirectory { root in
            let table = try ShapeStateTable(path: root + "/shape-states")
            let writers = try (0..<40).map { index in
                try Table.writer(root, "shape-\(index)", table: table, record: table.claimFree(), fresh: true)
            }
            for writer in writers { try Table.append(writer, tx: 100) }
            let commit = try ChangeLogGroupCommit(writers, appliedThroughLSN: LSN(100))
            #expect(commit.writers.count == 40)
            // Routing goes on while the flush runs.
            for writer in writers { try Table.append(writer, tx: 200) }
            let flusher = try #require(try FileSystemFlusher(directory: root))
            flusher.start()
            let outcome = try #require(flusher.wait())
            try outcome.result.get()
            // Nothing was published before step 3.
            #expect(try Self.reader(root, 0).loadState()?.changes.entryCount == 0)
            try commit.publish(fileSystemSynced: true) { $0 !== writers[7] }

            for (index, writer) in writers.enumerated() {
                let state = try Self.reader(root, index).loadState()?.changes
                if index == 7 {
                    // Kept out (a shape removed meanwhile): its record is left as it was.
                    #expect(state?.entryCount == 0)
                    continue
                }
                #expect(state?.entryCount == 1)
                #expect(state?.latest == LogOffset(tx: 100, op: 0))
                #expect(writer.committedState == state)
                #expect(try Self.entries(root, index) == [Self.entry("100_0")])
            }

            // The next commit publishes what was appended meanwhile, after the sealed entries.
            try ChangeLogWriter.commit(writers.enumerated().filter { $0.offset != 7 }.map(\.element), appliedThroughLSN: LSN(200))
            for index in [0, 39] {
                #expect(try Self.entries(root, index) == ["100_0", "200_0"].map(Self.entry))
            }
        }
    }

    @Test func aWriterTakesPartInOneGroupCommitAtATime() throws {
        try Support.withTemporaryDirectory { root in
            let table = try ShapeStateTable(path: root + "/shape-states")
            let writer = try Table.writer(root, "shape-0", table: table, record: table.claimFree(), fresh: true)
            try Table.append(writer, tx: 100)
            let commit = try ChangeLogGroupCommit([writer], appliedThroughLSN: LSN(100))
            try Table.append(writer, tx: 200)
            #expect(throws: ShapeLogError.self) { _ = try ChangeLogGroupCommit([writer], appliedThroughLSN: LSN(200)) }
            // Discarding drops only what followed the sealed state.
            writer.discardUncommitted()
            try commit.publish(fileSystemSynced: false)
            #expect(writer.committedState.entryCount == 1)
            try Table.append(writer, tx: 300)
            try ChangeLogWriter.commit([writer], appliedThroughLSN: LSN(300))
            #expect(try Self.entries(root, 0) == ["100_0", "300_0"].map(Self.entry))
        }
    }

    /// A flush started after a commit sealed its state may miss a file created after the seal
    /// (a first `changes.chunks`, made when a large transaction's appends are written through):
    /// that file's directory entry still needs a flush of its own.
    @Test func aFileCreatedAfterTheSealWaitsForTheNextFlush() throws {
        try Support.withTemporaryDirectory { root in
            let table = try ShapeStateTable(path: root + "/shape-states")
            let directory = root + "/shape-0"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try ChangeLogTests.finishedSnapshot(directory)
            let writer = try ChangeLogWriter(
                directory: directory, chunkThresholdBytes: 4096,
                stateStore: .table(table, record: table.claimFree(), tag: ShapeStateTable.tag(handle: "shape-0"), fresh: true),
                descriptors: Table.descriptors, durableCreation: false)
            #expect(writer.needsDirectorySync)
            try Table.append(writer, tx: 100)
            let commit = try ChangeLogGroupCommit([writer], appliedThroughLSN: LSN(100))
            // More than the write buffer, in entries that close chunks: written through, creating
            // `changes.chunks`.
            for op in 0..<1100 {
                let offset = LogOffset(tx: 200, op: UInt64(op))
                try writer.append(offset: offset, json: ChangeLogTests.entry(offset.description, size: 1000))
            }
            #expect(FileManager.default.fileExists(atPath: directory + "/changes.chunks"))
            try commit.publish(fileSystemSynced: true)
            #expect(writer.needsDirectorySync, "changes.chunks came after the seal")
            try ChangeLogWriter.commit([writer], appliedThroughLSN: LSN(200))
            #expect(!writer.needsDirectorySync)
            #expect(writer.committedState.entryCount == 1101)
        }
    }

    @Test func theFlusherReportsEachFlushOnceAndWakesItsOwner() throws {
        try Support.withTemporaryDirectory { root in
            let woken = Mutex(0)
            let flusher = try #require(try FileSystemFlusher(directory: root) { woken.withLock { $0 += 1 } })
            #expect(flusher.poll() == nil && flusher.wait() == nil, "no flush started")
            for round in 1...3 {
                flusher.start()
                #expect(flusher.isBusy)
                var outcome = flusher.poll()
                while outcome == nil {
                    usleep(1000)
                    outcome = flusher.poll()
                }
                try outcome?.result.get()
                #expect(!flusher.isBusy && flusher.poll() == nil)
                #expect(woken.withLock { $0 } == round)
            }
        }
    }

    /// With a journal, step 1 gathers exactly the bytes each writer publishes (from its committed
    /// end); a writer whose bytes are not all in its buffers (written through before the commit)
    /// or whose files were created without fsync leaves the commit to a flush of the file system.
    @Test func theJournalRecordHoldsWhatTheCommitPublishes() throws {
        try ShapeLogTestSupport.withTemporaryDirectory { root in
            let shapes = root + "/shapes"
            var writers: [ChangeLogWriter] = []
            for shape in 0..<3 {
                let directory = shapes + "/s\(shape)"
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                writers.append(try ChangeLogWriter(directory: directory, chunkThresholdBytes: 1 << 20))
            }
            let journal = try CommitJournal(path: shapes + "/.journal", shapes: shapes)
            let starts = writers.map(\.committedState.byteLength)
            for (position, writer) in writers.enumerated() {
                try writer.append(offset: LogOffset(tx: 70, op: UInt64(position)), json: Array("{\"n\":\(position)}".utf8))
            }
            var commit = try ChangeLogGroupCommit(writers, appliedThroughLSN: LSN(70), journal: journal)
            try journal.append(&commit.journalRecord!)
            try commit.publishJournaled()
            let writes = try #require(CommitJournal.writes(inFile: [UInt8](try Data(contentsOf: URL(fileURLWithPath: journal.path)))))
            #expect(writes.map(\.path) == ["s0/changes.log", "s1/changes.log", "s2/changes.log"])
            for (position, writer) in writers.enumerated() {
                #expect(writes[position].offset == starts[position])
                #expect(UInt64(writes[position].bytes.count) == writer.committedState.byteLength - starts[position])
                let file = try PosixFile.openForReading(shapes + "/s\(position)/changes.log")
                #expect(try file.read(count: writes[position].bytes.count, at: starts[position]) == writes[position].bytes)
            }

            // More than the write buffer for one writer: written through before the commit.
            try writers[1].append(offset: LogOffset(tx: 80, op: 0), json: [UInt8](repeating: 0x20, count: ShapeLogFormat.writeBufferBytes))
            try writers[0].append(offset: LogOffset(tx: 80, op: 1), json: Array("{}".utf8))
            let throughCommit = try ChangeLogGroupCommit(writers, appliedThroughLSN: LSN(80), journal: journal)
            #expect(throughCommit.journalRecord == nil)
            try throughCommit.publish(fileSystemSynced: try ChangeLogWriter.syncFileSystem(through: writers[0]))

            // A new shape's files, created without fsync, wait for a flush of the file system.
            let fresh = shapes + "/fresh"
            try FileManager.default.createDirectory(atPath: fresh, withIntermediateDirectories: true)
            let created = try ChangeLogWriter(directory: fresh, chunkThresholdBytes: 1 << 20, durableCreation: false)
            try created.append(offset: LogOffset(tx: 90, op: 0), json: Array("{}".utf8))
            let freshCommit = try ChangeLogGroupCommit([created], appliedThroughLSN: LSN(90), journal: journal)
            #expect(freshCommit.journalRecord == nil)
        }
    }
}
