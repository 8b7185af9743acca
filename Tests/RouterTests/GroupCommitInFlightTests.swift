import ConduitCore
import Foundation
import Logging
import Spool
import Synchronization
import Testing
import WhereClause

@testable import Router

/// router's loop starts a large group commit, leaves its `syncfs` to ``FileSystemFlusher`` and
/// routes on; the commit is published (state slots, serve's notifications, metrics, checkpoint,
/// ingest's consumed position) only once the flush has ended, and covers exactly what was applied
/// when it started.
@Suite struct GroupCommitInFlightTests {
    static let columns: [PgOutputMessage.Relation.Column] = [
        .init(flags: 1, name: "id", typeOID: 20, typeModifier: -1),
        .init(flags: 0, name: "owner_id", typeOID: 23, typeModifier: -1),
    ]

    /// What the engine told serve and ingest.
    final class Outbox: Sendable {
        let advanced = Mutex<[String]>([])
        let consumed = Mutex<[LSN]>([])
    }

    /// An engine with `count` shapes `owner_id = <index>`.
    static func engine(_ directory: String, shapes count: Int, outbox: Outbox, commitJournal: Bool = false) throws -> (
        RouterEngine, [ActiveShape]
    ) {
        let engine = try RouterTestEngine.make(
            directory: directory,
            notify: { message in
                if case .shapesAdvanced(let handles) = message { outbox.advanced.withLock { $0 += handles } }
            },
            reportConsumed: { lsn in outbox.consumed.withLock { $0.append(lsn) } }, commitJournal: commitJournal)
        let whereColumns = [WhereColumn(name: "id", typeName: "int8"), WhereColumn(name: "owner_id", typeName: "int4")]
        let shapes = try (0..<count).map { index in
            try RouterTestEngine.register(
                engine, handle: "shape-\(index)", columns: columns.map(\.name), whereColumns: whereColumns, clause: "owner_id = $1",
                params: [1: String(index)])
        }
        try engine.apply(.relation(.init(relationID: 1, namespace: "public", name: "items", replicaIdentity: .default, columns: columns)))
        return (engine, shapes)
    }

    /// One transaction inserting a row for each of `owners`.
    static func transaction(_ engine: RouterEngine, xid: UInt32, lsn: UInt64, owners: Range<Int>) throws {
        try engine.apply(.begin(.init(finalLSN: LSN(lsn), commitTimestamp: 0, xid: xid)))
        for owner in owners { try insert(engine, lsn: lsn, owner: owner) }
        try engine.apply(.commit(.init(commitLSN: LSN(lsn), endLSN: LSN(lsn + 8), commitTimestamp: 0)))
    }

    /// Routes an insert of a row for `owner` in the transaction with commit LSN `lsn`.
    static func insert(_ engine: RouterEngine, lsn: UInt64, owner: Int) throws {
        let row: [TupleData.Column] = [
            .text(Array(String(lsn * 100_000 + UInt64(owner)).utf8)[...]), .text(Array(String(owner).utf8)[...]),
        ]
        try engine.apply(.insert(.init(relationID: 1, newTuple: TupleData(columns: row))))
    }

    /// The committed entry count of `shape` as a restart would read it from disk.
    static func entriesOnDisk(_ engine: RouterEngine, _ shape: ActiveShape) throws -> UInt64 {
        let directory = engine.configuration.storage.shapeDirectory(shape.handle)
        return try ChangeLogWriter(directory: directory, chunkThresholdBytes: 1 << 20).committedState.entryCount
    }

    /// Runs `body` on an engine with `count` shapes, in a storage directory removed afterwards.
    static func withEngine(
        shapes count: Int, commitJournal: Bool = false, _ body: (RouterEngine, [ActiveShape], Outbox) throws -> Void
    ) throws {
        let directory = NSTemporaryDirectory() + "conduit-inflight-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let outbox = Outbox()
        let (engine, shapes) = try Self.engine(directory, shapes: count, outbox: outbox, commitJournal: commitJournal)
        try body(engine, shapes, outbox)
    }

    @Test func aLargeCommitIsPublishedOnceFlushedAndCoversWhatWasAppliedWhenItStarted() throws {
        try Self.withEngine(shapes: 100) { engine, shapes, outbox in
            try Self.transaction(engine, xid: 10, lsn: 1000, owners: 0..<100)
            try engine.startCommit()
            #expect(engine.inFlight != nil, "100 shapes: the flush runs off the loop")
            // The loop routes on meanwhile; a shape is removed before the commit is published.
            try Self.transaction(engine, xid: 11, lsn: 2000, owners: 0..<100)
            engine.removeShape("shape-7")
            #expect(try engine.finishCommit(waiting: true))
            #expect(engine.inFlight == nil)

            for (index, shape) in shapes.enumerated() where index != 7 {
                #expect(shape.changes.committedState.entryCount == 1)
                #expect(try Self.entriesOnDisk(engine, shape) == 1)
                #expect(shape.dirty, "the second transaction waits for the next commit")
            }
            #expect(outbox.advanced.withLock { Set($0) } == Set((0..<100).filter { $0 != 7 }.map { "shape-\($0)" }))
            #expect(outbox.consumed.withLock { $0 } == [LSN(1008)])

            try engine.commitShapeLogs()
            #expect(engine.inFlight == nil, "a direct commit waits for its flush")
            for (index, shape) in shapes.enumerated() where index != 7 {
                #expect(try Self.entriesOnDisk(engine, shape) == 2)
            }
            #expect(outbox.consumed.withLock { $0 } == [LSN(1008), LSN(2008)])
        }
    }

    /// A stop can come in the middle of a transaction: the commit in flight, which covers whole
    /// transactions only, is still published.
    @Test func aCommitInFlightIsPublishedEvenInTheMiddleOfATransaction() throws {
        try Self.withEngine(shapes: 100) { engine, shapes, outbox in
            try Self.transaction(engine, xid: 10, lsn: 1000, owners: 0..<100)
            try engine.startCommit()
            try engine.apply(.begin(.init(finalLSN: LSN(2000), commitTimestamp: 0, xid: 11)))
            try engine.apply(
                .insert(.init(relationID: 1, newTuple: TupleData(columns: [.text(Array("9".utf8)[...]), .text(Array("3".utf8)[...])]))))
            try engine.commitShapeLogs()
            #expect(engine.inFlight == nil)
            #expect(try shapes.map { try Self.entriesOnDisk(engine, $0) } == Array(repeating: 1, count: 100))
            #expect(outbox.consumed.withLock { $0 } == [LSN(1008)])
        }
    }

    @Test func aSmallCommitIsPublishedAtOnce() throws {
        try Self.withEngine(shapes: 3) { engine, shapes, outbox in
            try Self.transaction(engine, xid: 10, lsn: 1000, owners: 0..<3)
            try engine.startCommit()
            #expect(engine.inFlight == nil)
            #expect(try shapes.map { try Self.entriesOnDisk(engine, $0) } == [1, 1, 1])
            #expect(outbox.consumed.withLock { $0 } == [LSN(1008)])
        }
    }

    /// A shape waits for the next group commit once, however many transactions touched it.
    @Test func aShapeTouchedByManyTransactionsWaitsForTheCommitOnce() throws {
        try Self.withEngine(shapes: 3) { engine, shapes, outbox in
            try Self.transaction(engine, xid: 10, lsn: 1000, owners: 0..<3)
            try Self.transaction(engine, xid: 11, lsn: 2000, owners: 0..<3)
            #expect(engine.dirtyShapes.map(\.handle) == shapes.map(\.handle))
            try engine.startCommit()
            #expect(engine.dirtyShapes.isEmpty)
            #expect(try shapes.map { try Self.entriesOnDisk(engine, $0) } == [2, 2, 2])
            #expect(outbox.advanced.withLock { $0 }.sorted() == shapes.map(\.handle).sorted())
            try Self.transaction(engine, xid: 12, lsn: 3000, owners: 1..<2)
            #expect(engine.dirtyShapes.map(\.handle) == ["shape-1"], "queued again after the commit")
        }
    }
}
