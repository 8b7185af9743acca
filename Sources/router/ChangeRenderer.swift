import ConduitCore
import Spool

/// A change for one shape, as the builder decided it: what to render and from which row images.
/// Nothing is rendered yet, and nothing is copied: the rows are the decoded change's own. The
/// transaction-level headers (`lsn`, `txids`, `last`) are added when it is rendered.
struct PendingEntry: Sendable {
    enum Operation: Sendable {
        case insert, update, delete

        var json: StaticString {
            switch self {
            case .insert: "insert"
            case .update: "update"
            case .delete: "delete"
            }
        }
    }

    var offset: LogOffset
    var operation: Operation
    /// The row image the key and `value` are rendered from.
    var row: [TupleData.Column]
    /// Relation positions rendered into `value`.
    var columns: [Int]
    /// `old_value` (replica=full updates): the old row and the changed positions.
    var oldValue: (row: [TupleData.Column], columns: [Int])?
    /// `key_change_to` (delete half) or `key_change_from` (insert half) of a key change: the
    /// row image the other key is rendered from.
    var keyChange: (field: StaticString, row: [TupleData.Column])?
}

/// At most the two entries one change makes for one shape (a key change: a delete and an
/// insert), without an array of their own: router builds one for every row it routes.
struct PendingEntries: RandomAccessCollection {
    private var first: PendingEntry?
    private var second: PendingEntry?

    init() {}

    init(_ entry: PendingEntry) { first = entry }

    init(_ entry: PendingEntry, _ next: PendingEntry) {
        first = entry
        second = next
    }

    var startIndex: Int { 0 }
    var endIndex: Int { second != nil ? 2 : first != nil ? 1 : 0 }

    subscript(position: Int) -> PendingEntry {
        precondition(indices.contains(position), "index out of range")
        return (position == 0 ? first : second)!
    }
}

/// Renders shape log entries as the wire JSON of protocol.md §4, once, at write time, straight
/// into the change log's buffer.
enum ChangeRenderer {
    /// One primary-key column of a message key, JSON-escaped as it is written: `/"value"` (every
    /// `/` inside doubled) or `/_` for NULL. Escaping goes byte by byte, so the value is escaped
    /// between its slashes and the key needs no raw copy first.
    static func keyPart(_ value: UnsafeRawBufferPointer?, into writer: inout JSONWriter) {
        writer.raw(UInt8(ascii: "/"))
        guard let value else {
            writer.raw(UInt8(ascii: "_"))
            return
        }
        writer.raw("\\\"")
        var start = 0
        for index in value.indices where value[index] == UInt8(ascii: "/") {
            writer.escaped(utf8: UnsafeRawBufferPointer(rebasing: value[start..<index]))
            writer.raw("//")
            start = index + 1
        }
        writer.escaped(utf8: UnsafeRawBufferPointer(rebasing: value[start...]))
        writer.raw("\\\"")
    }

    /// The message key of `row` as a JSON string: `"schema"."table"/"v1"/"v2"` (``keyPart(_:into:)``
    /// per key column).
    static func key(_ row: [TupleData.Column], layout: ShapeLayout, into writer: inout JSONWriter) {
        writer.raw(UInt8(ascii: "\""))
        writer.raw(layout.escapedKeyPrefix)
        for index in layout.key {
            switch index < row.count ? row[index] : .null {
            case .text(let bytes), .binary(let bytes): bytes.withUnsafeBytes { keyPart($0, into: &writer) }
            case .null, .unchangedToast: keyPart(nil, into: &writer)
            }
        }
        writer.raw(UInt8(ascii: "\""))
    }

    /// `{"col":"text",…}` for `columns` (relation positions) of `row`; NULL as `null`; columns
    /// whose value is not known (unchanged TOAST without an old value) are left out.
    static func object(_ row: [TupleData.Column], columns: [Int], layout: ShapeLayout, into writer: inout JSONWriter) {
        writer.raw(UInt8(ascii: "{"))
        var first = true
        for index in columns where index < row.count {
            switch row[index] {
            case .null:
                if !first { writer.raw(UInt8(ascii: ",")) }
                writer.raw(layout.columnKeys[index])
                writer.null()
                first = false
            case .text(let bytes), .binary(let bytes):
                if !first { writer.raw(UInt8(ascii: ",")) }
                writer.raw(layout.columnKeys[index])
                bytes.withUnsafeBytes { writer.string(utf8: $0) }
                first = false
            case .unchangedToast:
                break
            }
        }
        writer.raw(UInt8(ascii: "}"))
    }

    /// Appends the complete change message for `entry` in a transaction with commit LSN `lsn`
    /// (its decimal text) and `xid` to `writer`, with `"last":true` when `last`. Returns where in
    /// `writer` that header goes (or went): router renders an entry before it knows whether it is
    /// its transaction's last for the shape, and inserts the header there once it does.
    @discardableResult
    static func render(
        _ entry: PendingEntry, layout: ShapeLayout, into writer: inout JSONWriter, lsn: [UInt8], xid: UInt32, last: Bool
    ) -> Int {
        writer.raw("{\"headers\":{\"operation\":\"")
        writer.raw(entry.operation.json)
        writer.raw("\",\"relation\":")
        writer.raw(layout.relationJSON)
        writer.raw(",\"lsn\":\"")
        writer.raw(lsn)
        writer.raw("\",\"op_position\":")
        writer.integer(entry.offset.op)
        writer.raw(",\"txids\":[")
        writer.integer(xid)
        writer.raw(UInt8(ascii: "]"))
        if let change = entry.keyChange {
            writer.raw(UInt8(ascii: ","))
            writer.raw(UInt8(ascii: "\""))
            writer.raw(change.field)
            writer.raw("\":")
            key(change.row, layout: layout, into: &writer)
        }
        let lastHeader = writer.bytes.count
        if last { writer.raw(lastTrue) }
        writer.raw("},\"key\":")
        key(entry.row, layout: layout, into: &writer)
        writer.raw(",\"value\":")
        object(entry.row, columns: entry.columns, layout: layout, into: &writer)
        if let old = entry.oldValue {
            writer.raw(",\"old_value\":")
            object(old.row, columns: old.columns, layout: layout, into: &writer)
        }
        writer.raw(UInt8(ascii: "}"))
        return lastHeader
    }

    /// The header that marks a transaction's last entry for a shape.
    static let lastTrue: StaticString = ",\"last\":true"

    /// `{"headers":{"control":"snapshot-end","xmin":"…","xmax":"…","xip_list":[…]}}`.
    static func snapshotEnd(_ snapshot: SnapshotVisibility) -> [UInt8] {
        var writer = JSONWriter()
        writer.raw("{\"headers\":{\"control\":\"snapshot-end\",\"xmin\":\"")
        writer.integer(snapshot.xmin)
        writer.raw("\",\"xmax\":\"")
        writer.integer(snapshot.xmax)
        writer.raw("\",\"xip_list\":[")
        for (index, xid) in snapshot.xip.enumerated() {
            if index > 0 { writer.raw(UInt8(ascii: ",")) }
            writer.raw(UInt8(ascii: "\""))
            writer.integer(xid)
            writer.raw(UInt8(ascii: "\""))
        }
        writer.raw("]}}")
        return writer.bytes
    }
}
