import ConduitCore
import Foundation
import Spool
import Testing

@testable import Router

/// router with its ``CommitJournal``: a large group commit is durable once its record is, and is
/// published at once; an idle loop checkpoints the journal and empties it; a commit that cannot
/// be journaled (the journal full) flushes the file system as before.
@Suite struct CommitJournalEngineTests {
    typealias Engines = GroupCommitInFlightTests

    /// An engine of `shapes` shapes with its journal, where WAL arrived just now (no checkpoint
    /// is due) and a transaction for `owners` was committed.
    static func afterOneCommit(
        shapes count: Int = 100, owners: Range<Int> = 0..<100, _ body: (RouterEngine, [ActiveShape], Engines.Outbox) throws -> Void
    ) throws {
        try Engines.withEngine(shapes: count, commitJournal: true) { engine, shapes, outbox in
            engine.lastArrival = MonotonicClock.seconds()
            try Engines.transaction(engine, xid: 10, lsn: 1000, owners: owners)
            try engine.startCommit()
            try body(engine, shapes, outbox)
        }
    }

    @Test func aLargeCommitIsPublishedOnceItsJournalRecordIsDurable() throws {
        try Engines.withEngine(shapes: 100, commitJournal: true) { engine, shapes, outbox in
            try Engines.transaction(engine, xid: 10, lsn: 1000, owners: 0..<100)
            try engine.startCommit()
            #expect(engine.inFlight == nil, "nothing left to flush off the loop")
            let journal = try #require(engine.journal)
            #expect(journal.hasRecords)
            #expect(try shapes.map { try Engines.entriesOnDisk(engine, $0) } == Array(repeating: 1, count: 100))
            #expect(outbox.advanced.withLock { Set($0) } == Set(shapes.map(\.handle)))
            #expect(outbox.consumed.withLock { $0 } == [LSN(1008)])

            // The record holds exactly the bytes the commit published, one write per shape log.
            let writes = try #require(CommitJournal.writes(inFile: try Data(contentsOf: URL(fileURLWithPath: journal.path)).map { $0 }))
            #expect(Set(writes.map(\.path)) == Set(shapes.map { "\($0.handle)/changes.log" }))
            for write in writes {
                let file = try PosixFile.openForReading(engine.configuration.storage.shapesDirectory + "/" + write.path)
                #expect(try file.read(count: write.bytes.count, at: write.offset) == write.bytes)
            }
        }
    }

    @Test func anIdleLoopCheckpointsTheJournalAndEmptiesIt() throws {
        try Self.afterOneCommit { engine, _, _ in
            // WAL arrived just now: no checkpoint after the commit, nor when asked.
            let journal = try #require(engine.journal)
            let end = journal.end
            #expect(engine.journalCheckpoint == nil)
            engine.checkpointJournalIfIdle()
            #expect(engine.journalCheckpoint == nil)

            engine.lastArrival = 0
            engine.checkpointJournalIfIdle()
            #expect(engine.journalCheckpoint == end)
            // The flush ends; before the loop sees it, a journaled commit appends (it does not
            // wait for a checkpoint).
            let outcome = try #require(engine.flusher?.wait())
            engine.lastArrival = MonotonicClock.seconds()
            try Engines.transaction(engine, xid: 11, lsn: 2000, owners: 0..<100)
            try engine.startCommit()
            #expect(journal.end > end)
            try engine.finishJournalCheckpoint(outcome)
            #expect(engine.journalCheckpoint == nil)
            #expect(journal.hasRecords, "the second commit's record came after the checkpoint began")

            engine.lastArrival = 0
            engine.checkpointJournalIfIdle()
            _ = engine.flusher?.wait().map { try? engine.finishJournalCheckpoint($0) }
            #expect(!journal.hasRecords)
            let size = try PosixFile.openForReading(journal.path).size()
            #expect(size == UInt64(CommitJournal.headerSize))
        }
    }

    /// Under WAL that never stops, a record still waits at most 30 s for its checkpoint.
    @Test func anOldRecordIsCheckpointedThoughWALKeepsArriving() throws {
        try Self.afterOneCommit { engine, _, _ in
            let now = MonotonicClock.seconds()
            engine.lastArrival = now + 60
            engine.checkpointJournalIfIdle(now: now + 29)
            #expect(engine.journalCheckpoint == nil)
            engine.checkpointJournalIfIdle(now: now + 31)
            #expect(engine.journalCheckpoint != nil)
            _ = engine.flusher?.wait().map { try? engine.finishJournalCheckpoint($0) }
            #expect(engine.journal?.hasRecords == false)
            #expect(engine.journal?.firstRecordAt == nil)
        }
    }

    @Test func aStopLeavesTheJournalEmpty() throws {
        try Self.afterOneCommit { engine, _, _ in
            #expect(engine.journal?.hasRecords == true)
            try engine.checkpointJournalNow()
            #expect(engine.journal?.hasRecords == false)
            #expect(engine.journalCheckpoint == nil)
        }
    }

    @Test func theLoopPublishesACheckpointItStarted() throws {
        try Engines.withEngine(shapes: 100, commitJournal: true) { engine, _, _ in
            try Engines.transaction(engine, xid: 10, lsn: 1000, owners: 0..<100)
            try engine.startCommit()
            engine.lastArrival = 0
            engine.checkpointJournalIfIdle()
            #expect(engine.journalCheckpoint != nil)
            // What the loop does each turn: poll, never wait.
            for _ in 0..<10_000 where engine.journalCheckpoint != nil {
                try engine.finishCommit(waiting: false)
                if engine.journalCheckpoint != nil { usleep(1000) }
            }
            #expect(engine.journalCheckpoint == nil)
            #expect(engine.journal?.hasRecords == false)
        }
    }

    @Test func aCommitThatFlushesTheFileSystemEmptiesTheJournal() throws {
        try Engines.withEngine(shapes: 100, commitJournal: true) { engine, shapes, _ in
            try Engines.transaction(engine, xid: 10, lsn: 1000, owners: 0..<100)
            try engine.startCommit()
            #expect(engine.journal?.hasRecords == true)
            // A write through (more than 1 MiB appended to one shape) cannot be journaled.
            try engine.apply(.begin(.init(finalLSN: LSN(2000), commitTimestamp: 0, xid: 11)))
            let wide = String(repeating: "x", count: 1 << 20)
            for shape in shapes {
                try shape.changes.append(offset: LogOffset(tx: 2000, op: 0), json: Array((shape.handle == "shape-3" ? wide : "{}").utf8))
                shape.dirty = true
                engine.queueForCommit(shape)
            }
            try engine.apply(.commit(.init(commitLSN: LSN(2000), endLSN: LSN(2008), commitTimestamp: 0)))
            try engine.startCommit()
            #expect(engine.inFlight != nil, "flushed off the loop, as without a journal")
            try engine.finishCommit(waiting: true)
            #expect(engine.journal?.hasRecords == false, "the flush covered every record before it")
            #expect(try shapes.map { try Engines.entriesOnDisk(engine, $0) } == Array(repeating: 2, count: 100))
        }
    }

    /// A commit of a few shapes uses the journal too (one file flushed instead of the file
    /// system); a commit of one shape flushes that shape's file, which costs the same.
    @Test func aFewShapesAreJournaledOneIsNot() throws {
        try Self.afterOneCommit(shapes: 3, owners: 0..<1) { engine, shapes, outbox in
            #expect(engine.journal?.hasRecords == false)
            try Engines.transaction(engine, xid: 11, lsn: 2000, owners: 0..<3)
            try engine.startCommit()
            #expect(engine.inFlight == nil)
            #expect(engine.journal?.hasRecords == true)
            #expect(try shapes.map { try Engines.entriesOnDisk(engine, $0) } == [2, 1, 1])
            #expect(outbox.consumed.withLock { $0 } == [LSN(1008), LSN(2008)])
        }
    }
}
