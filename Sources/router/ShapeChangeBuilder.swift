import ConduitCore
import Spool
import WhereClause

/// Decides whether a row belongs to a shape from the texts of the columns it references (in
/// `columns` order, nil for NULL). router wraps the compiled where clause in one of these; a
/// shape without a where clause has none.
struct RowFilter: Sendable {
    let columns: [String]
    /// - Throws: ``WhereClauseError`` of kind `.workLimit` when the row needs more work than
    ///   the clause may take (``FilterTooCostly``).
    let evaluate: @Sendable (_ values: [String?]) throws(WhereClauseError) -> Bool
    /// Set when the clause is one exact condition on `columns[0]` (``WhereClause/exactCondition``):
    /// a row is in the shape exactly when that column's text is one of these bytes, which is
    /// checked without making `String`s or running the clause.
    var exactTexts: ExactTexts?
}

/// Turns one replicated row change into the entries one shape must append (protocol.md §4.5):
/// where-clause boundary crossings become inserts/deletes, key changes become delete + insert,
/// `replica=default` updates carry only the key and changed columns.
///
/// Pure: no I/O, unit-tested on its own. A class, immutable: router hands a shape's builder to
/// every change it routes to the shape, and a struct of this many arrays cost a retain of each
/// per hand-over.
final class ShapeChangeBuilder: Sendable {
    let layout: ShapeLayout
    let replica: ReplicaMode
    let filter: RowFilter?
    /// Relation positions of the filter's columns (nil when the relation lacks one).
    private let filterPositions: [Int?]
    /// `filterPositions[0]`, kept beside the filter: an exact condition reads only this.
    private let exactPosition: Int?

    init(layout: ShapeLayout, replica: ReplicaMode, filter: RowFilter?) {
        self.layout = layout
        self.replica = replica
        self.filter = filter
        self.filterPositions = filter?.columns.map { layout.names.firstIndex(of: $0) } ?? []
        self.exactPosition = filterPositions.first ?? nil
    }

    /// Entries for an insert at op index `op`.
    func insert(new: [TupleData.Column], op: UInt64, lsn: LSN) throws(WhereClauseError) -> PendingEntries {
        guard try includes(new) else { return PendingEntries() }
        return PendingEntries(insertEntry(new, op: op, lsn: lsn, keyChangeFrom: nil))
    }

    /// Entries for a delete of `old` (a full row with REPLICA IDENTITY FULL, else the key).
    func delete(old: [TupleData.Column], isFullRow: Bool, op: UInt64, lsn: LSN) throws(WhereClauseError) -> PendingEntries {
        if isFullRow { guard try includes(old) else { return PendingEntries() } }
        return PendingEntries(deleteEntry(old, fullRow: isFullRow, op: op, lsn: lsn, keyChangeTo: nil))
    }

    /// Entries for an update. `old` is the old row when the stream carried one (`isFullRow` for
    /// REPLICA IDENTITY FULL, otherwise only its key columns).
    func update(
        old: [TupleData.Column]?, isFullRow: Bool, new rawNew: [TupleData.Column], op: UInt64, lsn: LSN
    ) throws(WhereClauseError) -> PendingEntries {
        let new = Self.fillingUnchanged(rawNew, from: isFullRow ? old : nil)
        let oldFull = isFullRow ? old : nil
        let newIn = try includes(new)
        let oldIn = try oldFull.map { row throws(WhereClauseError) in try includes(row) } ?? newIn
        switch (oldIn, newIn) {
        case (false, false):
            return PendingEntries()
        case (false, true):
            return PendingEntries(insertEntry(new, op: op, lsn: lsn, keyChangeFrom: nil))
        case (true, false):
            return PendingEntries(deleteEntry(oldFull ?? old ?? new, fullRow: oldFull != nil, op: op, lsn: lsn, keyChangeTo: nil))
        case (true, true):
            break
        }
        if let old, !Self.sameKey(old, new, layout.key) {
            return PendingEntries(
                deleteEntry(oldFull ?? old, fullRow: oldFull != nil, op: op, lsn: lsn, keyChangeTo: new),
                insertEntry(new, op: op + 1, lsn: lsn, keyChangeFrom: old))
        }
        let changed: [Int]
        if let oldFull {
            changed = layout.selected.filter { index in
                index < new.count && index < oldFull.count && new[index] != oldFull[index] && new[index] != .unchangedToast
            }
            if changed.isEmpty { return PendingEntries() }
        } else {
            changed = layout.selected
        }
        let offset = LogOffset(lsn: lsn, op: op)
        switch replica {
        case .default:
            let columns = layout.selected.filter { layout.key.contains($0) || changed.contains($0) }
            return PendingEntries(PendingEntry(offset: offset, operation: .update, row: new, columns: columns))
        case .full:
            return PendingEntries(
                PendingEntry(
                    offset: offset, operation: .update, row: new, columns: layout.selected,
                    oldValue: oldFull.map { ($0, changed) }))
        }
    }

    private func includes(_ row: [TupleData.Column]) throws(WhereClauseError) -> Bool {
        guard let filter else { return true }
        if let texts = filter.exactTexts {
            guard let position = exactPosition, position < row.count else { return false }
            switch row[position] {
            case .text(let bytes), .binary(let bytes): return texts.contains(bytes)
            case .null, .unchangedToast: return false
            }
        }
        let values: [String?] = filterPositions.map { position in
            guard let position, position < row.count else { return nil }
            switch row[position] {
            case .text(let bytes), .binary(let bytes): return String(decoding: bytes, as: UTF8.self)
            case .null, .unchangedToast: return nil
            }
        }
        return try filter.evaluate(values)
    }

    private func insertEntry(_ row: [TupleData.Column], op: UInt64, lsn: LSN, keyChangeFrom: [TupleData.Column]?) -> PendingEntry {
        PendingEntry(
            offset: LogOffset(lsn: lsn, op: op), operation: .insert, row: row, columns: layout.selected,
            keyChange: keyChangeFrom.map { ("key_change_from", $0) })
    }

    private func deleteEntry(
        _ row: [TupleData.Column], fullRow: Bool, op: UInt64, lsn: LSN, keyChangeTo: [TupleData.Column]?
    ) -> PendingEntry {
        PendingEntry(
            offset: LogOffset(lsn: lsn, op: op), operation: .delete, row: row,
            columns: (replica == .full && fullRow) ? layout.selected : layout.key,
            keyChange: keyChangeTo.map { ("key_change_to", $0) })
    }

    /// Whether rows `a` and `b` have the same values in the `key` positions (a position past a
    /// row's end counts as NULL, as the key renders it).
    static func sameKey(_ a: [TupleData.Column], _ b: [TupleData.Column], _ key: [Int]) -> Bool {
        key.allSatisfy { index in
            let left = index < a.count ? a[index] : .null
            let right = index < b.count ? b[index] : .null
            switch (left, right) {
            case (.text(let x), .text(let y)), (.binary(let x), .binary(let y)),
                (.text(let x), .binary(let y)), (.binary(let x), .text(let y)):
                return x.elementsEqual(y)
            case (.null, .null), (.null, .unchangedToast), (.unchangedToast, .null), (.unchangedToast, .unchangedToast):
                return true
            default:
                return false
            }
        }
    }

    /// The new row with unchanged-TOAST markers replaced by the old row's values when known.
    static func fillingUnchanged(_ new: [TupleData.Column], from old: [TupleData.Column]?) -> [TupleData.Column] {
        guard let old, new.contains(.unchangedToast) else { return new }
        var row = new
        for index in row.indices where row[index] == .unchangedToast && index < old.count {
            row[index] = old[index]
        }
        return row
    }
}
