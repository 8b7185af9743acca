import ConduitCore
import Foundation
import Logging
import Spool
import TestSupport
import Testing
import WhereClause

@testable import Router

/// Router throughput: changes routed per second through the real routing path (index lookup,
/// where-clause evaluation, JSON rendering, change-log appends and group commits to disk).
///
/// Runs only with `CONDUIT_BENCH=1` (see `bench/router`): it prints figures, asserts nothing
/// about time. Reference figures are the ones ElectricSQL publishes for the same kinds of shapes.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["CONDUIT_BENCH"] == "1"), .serialized)
struct RouterThroughputBenchmark {
    static let columns: [PgOutputMessage.Relation.Column] = [
        .init(flags: 1, name: "id", typeOID: 20, typeModifier: -1),
        .init(flags: 0, name: "owner_id", typeOID: 23, typeModifier: -1),
        .init(flags: 0, name: "status", typeOID: 25, typeModifier: -1),
        .init(flags: 0, name: "priority", typeOID: 23, typeModifier: -1),
    ]
    static let whereColumns = [
        WhereColumn(name: "id", typeName: "int8"), WhereColumn(name: "owner_id", typeName: "int4"),
        WhereColumn(name: "status", typeName: "text"), WhereColumn(name: "priority", typeName: "int4"),
    ]

    /// Router commits touched shape logs when it has caught up with the spool, or after 64
    /// frames when it is behind. Both cadences are measured: a commit every 1,000 changes (a
    /// router keeping up with a light stream, paying a commit per shape for few changes) and every
    /// 100,000 changes (a router working through a backlog, as during a burst).
    @Test(arguments: [10, 1_000])
    func indexedShapes(commitEveryTransactions: Int) throws {
        let shapes = Int(ProcessInfo.processInfo.environment["CONDUIT_BENCH_SHAPES"] ?? "10000")!
        let rate = try Self.measure(shapeCount: shapes, changes: 200_000, commitEvery: commitEveryTransactions) { index in
            ("owner_id = $1", [1: String(index)])
        }
        Self.report(
            "\(shapes) shapes `owner_id = $1` (indexed), commit every \(commitEveryTransactions * 100) changes",
            rate: rate, reference: 5_000)
    }

    /// router's loop leaves a large commit's flush to ``FileSystemFlusher`` and routes on: the
    /// same drain (10,000 shapes, a commit every 20,000 changes) with each commit waited for,
    /// as before, and with its flush beside the loop, published at the next commit.
    @Test func flushBesideTheLoop() throws {
        for beside in [false, true] {
            let rate = try Self.measure(shapeCount: 10_000, changes: 200_000, commitEvery: 200, flushBeside: beside) { index in
                ("owner_id = $1", [1: String(index)])
            }
            Self.report(
                "10000 shapes, commit every 20000 changes, " + (beside ? "flush beside the loop" : "each flush waited for"), rate: rate,
                reference: 5_000)
        }
    }

    @Test(arguments: [10, 100])
    func unindexedShapes(count: Int) throws {
        let rate = try Self.measure(shapeCount: count, changes: count == 10 ? 100_000 : 50_000) { index in
            ("owner_id % 1000 = $1 OR priority > 1000", [1: String(index)])
        }
        Self.report("\(count) shapes that cannot be indexed", rate: rate, reference: count == 10 ? 1_400 : 140)
    }

    static func report(_ label: String, rate: Double, reference: Double) {
        print(
            String(
                format: "router bench: %@: %.0f changes/s (ElectricSQL reference %.0f/s, ratio %.1fx)", label, rate, reference,
                rate / reference))
    }

    /// Routes `changes` inserts (100 per transaction, owner ids spread over the shapes) through
    /// a router holding `shapeCount` shapes, committing shape logs every `commitEvery` transactions.
    /// With `flushBeside`, each periodic commit is started (``RouterEngine/startCommit()``) as
    /// router's loop does, its flush left running while the next transactions are routed.
    static func measure(
        shapeCount: Int, changes: Int, commitEvery: Int = 10, flushBeside: Bool = false,
        clause: (Int) -> (String, [Int: String])
    ) throws -> Double {
        let directory = NSTemporaryDirectory() + "conduit-router-bench-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let engine = try RouterTestEngine.make(directory: directory)
        for index in 0..<shapeCount {
            let (text, params) = clause(index)
            try RouterTestEngine.register(
                engine, handle: "bench-\(index)", columns: columns.map(\.name), whereColumns: whereColumns, clause: text, params: params)
        }
        try engine.apply(.relation(.init(relationID: 1, namespace: "public", name: "items", replicaIdentity: .full, columns: columns)))
        let perTransaction = 100
        var lsn: UInt64 = 1 << 24
        // Each transaction's rows are made just before it, off the clock (each row's values
        // slices of one buffer, as a decoded message's are): the routing figure is the routing
        // path's alone.
        func rows(from first: Int) -> [TupleData] {
            (first..<(first + perTransaction)).map { id in
                let texts = [String(id), String((id &* 7919) % shapeCount), "todo", String(id % 9)]
                let bytes = Array(texts.joined().utf8)
                var start = 0
                return TupleData(
                    columns: texts.map { text in
                        defer { start += text.utf8.count }
                        return .text(bytes[start..<(start + text.utf8.count)])
                    })
            }
        }
        let clock = ContinuousClock()
        var routing = Duration.zero
        var committing = Duration.zero
        for transaction in 0..<(changes / perTransaction) {
            lsn += 10_000
            let batch = rows(from: transaction * perTransaction + 1)
            routing += try clock.measure {
                try engine.apply(.begin(.init(finalLSN: LSN(lsn), commitTimestamp: 0, xid: UInt32(1000 + transaction))))
                for row in batch { try engine.apply(.insert(.init(relationID: 1, newTuple: row))) }
                try engine.apply(.commit(.init(commitLSN: LSN(lsn), endLSN: LSN(lsn + 8), commitTimestamp: 0)))
            }
            if transaction % commitEvery == commitEvery - 1 {
                committing += try clock.measure { try flushBeside ? engine.startCommit() : engine.commitShapeLogs() }
            }
        }
        committing += try clock.measure { try engine.commitShapeLogs() }
        let elapsed = routing + committing
        let seconds = Self.seconds(elapsed)
        print(
            String(
                format: "router bench: %d shapes, commit every %d changes: %.2f s routing (%.0f changes/s), %.2f s in group commits",
                shapeCount, commitEvery * perTransaction, Self.seconds(routing), Double(changes) / Self.seconds(routing),
                Self.seconds(committing)))
        return Double(changes) / seconds
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
