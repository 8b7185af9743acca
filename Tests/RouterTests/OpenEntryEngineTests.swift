import ConduitCore
import Foundation
import Testing

@testable import Router

/// router renders each change into its shape's change log as an open entry, closed by the shape's
/// next entry or by the transaction's commit: a transaction that ends without a commit leaves
/// nothing open for the next group commit.
struct OpenEntryEngineTests {
    typealias Engines = GroupCommitInFlightTests

    @Test func aTransactionCutShortLeavesNoOpenEntryBehind() throws {
        try Engines.withEngine(shapes: 2) { engine, shapes, _ in
            // Committed and awaiting the group commit: shape 0 is dirty.
            try Engines.transaction(engine, xid: 10, lsn: 1000, owners: 0..<1)
            // A transaction that touches shape 0 and never commits, then one that commits elsewhere.
            try engine.apply(.begin(.init(finalLSN: LSN(2000), commitTimestamp: 0, xid: 11)))
            try Engines.insert(engine, lsn: 2000, owner: 0)
            #expect(shapes[0].held != nil)
            try Engines.transaction(engine, xid: 12, lsn: 3000, owners: 1..<2)
            #expect(shapes[0].held == nil)

            try engine.commitShapeLogs()
            #expect(try Engines.entriesOnDisk(engine, shapes[0]) == 1)
            #expect(try Engines.entriesOnDisk(engine, shapes[1]) == 1)
        }
    }
}
