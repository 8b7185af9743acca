import ConduitCore
import Foundation
import Spool
import WhereClause

/// A shape router is maintaining: its change log writer, the snapshot it must merge with, and
/// the entry held back until the next one arrives (so the transaction's last entry for the
/// shape can be marked `last: true`).
final class ActiveShape {
    let metadata: ShapeMetadata
    let changes: ChangeLogWriter
    let filter: RowFilter?
    /// Snapshot visibility while merging with the initial snapshot; nil once every later
    /// transaction is known to be outside it.
    var visibility: SnapshotVisibility?
    /// The builder for the relation as last described by the stream; nil until resolved.
    var builder: ShapeChangeBuilder?
    /// Set while the current transaction must be applied to this shape.
    var appliesToCurrentTransaction = false
    /// The transaction (router's sequence number) ``appliesToCurrentTransaction`` was decided for.
    var decidedForTransaction: UInt64 = 0
    /// The indexed conjunct this shape is filed under in its ``RelationShapes``, if any.
    var indexKey: (column: String, values: [String])?
    /// The transaction's latest entry for this shape, rendered at the end of the change log's
    /// buffer but left open: the next entry closes it as it is, the commit closes it with
    /// `"last":true` inserted.
    var held: OpenChangeEntry?
    /// True when entries were appended since the last commit of the change log.
    var dirty = false
    /// True while the shape is in ``RouterEngine/dirtyShapes``, waiting for the next group commit.
    var queuedForCommit = false
    /// The table's columns as the where clause was compiled against them (from the catalog at
    /// creation, from router's record in the shape's document after a restart): subset snapshots compile theirs against the
    /// same columns.
    var whereColumns: [WhereColumn] = []
    /// Committed change-log bytes last counted in ``RouterEngine/shapeLogBytes``.
    var reportedBytes: UInt64 = 0

    init(metadata: ShapeMetadata, changes: ChangeLogWriter, filter: RowFilter?, visibility: SnapshotVisibility?) {
        self.metadata = metadata
        self.changes = changes
        self.filter = filter
        self.visibility = visibility
    }

    var handle: String { metadata.handle }

    /// Resolves the builder against the stream's description of the table; false when the table
    /// no longer has the shape's columns (the shape must be removed).
    func resolve(relation: PgOutputMessage.Relation) -> Bool {
        guard let layout = ShapeLayout.shared(metadata: metadata, relation: relation) else { return false }
        if metadata.definition.columns == nil && layout.names.count != metadata.columns.count { return false }
        builder = ShapeChangeBuilder(layout: layout, replica: metadata.definition.replica, filter: filter)
        return true
    }

    /// Starts a transaction: decides whether it applies to this shape.
    func begin(xid: UInt32, commitLSN: LSN) {
        abandonOpenEntry()
        if commitLSN < changes.committedState.appliedThroughLSN {
            appliesToCurrentTransaction = false  // replayed after a restart: already applied
            return
        }
        if let visibility {
            if visibility.mergeIsOver(xid: xid, commitLSN: commitLSN) {
                self.visibility = nil
            } else if visibility.mayBeVisible(xid: xid, commitLSN: commitLSN) {
                appliesToCurrentTransaction = false  // its rows are in the snapshot
                return
            }
        }
        appliesToCurrentTransaction = true
    }

    /// Seconds (monotonic) when a client was last served this shape, for eviction.
    var lastServed: Double = MonotonicClock.seconds()

    /// Appends what `change` means for this shape, in a transaction that applies to it.
    /// Returns false when the table no longer has the shape's columns (remove the shape).
    /// - Throws: ``FilterTooCostly`` when the where clause needs more work for a row than a
    ///   clause may take (refuse the shape); errors of the change log otherwise.
    func apply(
        _ change: RowChange, op: UInt64, in transaction: RoutedTransaction, relation: PgOutputMessage.Relation
    ) throws -> Bool {
        if builder == nil, !resolve(relation: relation) { return false }
        guard let builder else { return true }
        let entries: PendingEntries
        do {
            entries = try change.entries(builder, op: op, lsn: transaction.lsn)
        } catch {
            throw FilterTooCostly(reason: error.message)
        }
        for entry in entries { try add(entry, layout: builder.layout, lsn: transaction.lsnText, xid: transaction.xid) }
        return true
    }

    /// Renders `entry` into the change log, closing the entry held before it.
    func add(_ entry: PendingEntry, layout: ShapeLayout, lsn: [UInt8], xid: UInt32) throws {
        if let previous = held {
            held = nil
            try changes.close(previous)
        }
        held = try changes.open(offset: entry.offset) { buffer in
            JSONWriter.appending(to: &buffer) { writer in
                ChangeRenderer.render(entry, layout: layout, into: &writer, lsn: lsn, xid: xid, last: false)
            }
        }
        dirty = true
    }

    /// Drops the entry the current transaction left open, when that transaction ends without a
    /// commit: a group commit never takes a change log with an open entry.
    func abandonOpenEntry() {
        if let held { changes.discard(held) }
        held = nil
    }

    /// Ends the transaction: closes the held entry, marked `last`.
    func commit() throws {
        defer { appliesToCurrentTransaction = false }
        guard let previous = held else { return }
        held = nil
        try changes.close(previous, inserting: ChangeRenderer.lastTrue)
    }
}

/// router's position in the spool: every transaction ending at or before `commitEndLSN` is in
/// every shape log; `position` is the frame boundary to resume reading at.
struct RouterCheckpoint: Codable {
    var position: SpoolPosition
    var commitEndLSN: LSN
    var lastCommitLSN: LSN

    func write(to path: String) throws {
        try ChecksummedFile.write(path: path, payload: [UInt8](try JSONEncoder().encode(self)))
    }

    /// The checkpoint at `path`, nil when there is none yet.
    /// - Throws: when it cannot be read or decoded (never guessed: a wrong position would skip or
    ///   repeat transactions).
    static func read(from path: String) throws -> RouterCheckpoint? {
        guard let bytes = try ChecksummedFile.read(path: path) else { return nil }
        return try JSONDecoder().decode(RouterCheckpoint.self, from: Data(bytes))
    }
}
