import ConduitCore
import Spool

/// A change for one shape, waiting to be written: everything but the transaction-level headers
/// (`lsn`, `txids`, `last`), which are added when it is rendered.
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
    /// The message key, raw (not yet JSON-escaped).
    var key: [UInt8]
    /// Rendered `value` object.
    var value: [UInt8]
    /// Rendered `old_value` object (replica=full updates).
    var oldValue: [UInt8]?
    /// `key_change_to` (delete half) or `key_change_from` (insert half) of a key change.
    var keyChange: (field: StaticString, key: [UInt8])?
}

/// Renders shape log entries as the wire JSON of protocol.md §4, once, at write time.
enum ChangeRenderer {
    /// `"schema"."table"/"v1"/"v2"`: every `/` in a value doubled; NULL as `_`.
    static func key(prefix: [UInt8], values: [ArraySlice<UInt8>?]) -> [UInt8] {
        var key = prefix
        for value in values {
            guard let value else {
                appendKeyPart(nil, to: &key)
                continue
            }
            value.withUnsafeBytes { appendKeyPart($0, to: &key) }
        }
        return key
    }

    /// Appends `/"value"` (a `/` inside doubled) or `/_` for NULL: one primary-key column of a key.
    static func appendKeyPart(_ value: UnsafeRawBufferPointer?, to key: inout [UInt8]) {
        key.append(UInt8(ascii: "/"))
        guard let value else {
            key.append(UInt8(ascii: "_"))
            return
        }
        key.append(UInt8(ascii: "\""))
        for byte in value {
            key.append(byte)
            if byte == UInt8(ascii: "/") { key.append(byte) }
        }
        key.append(UInt8(ascii: "\""))
    }

    /// `{"col":"text",…}` for `columns` (relation positions) of `row`; NULL as `null`; columns
    /// whose value is not known (unchanged TOAST without an old value) are left out.
    static func object(layout: ShapeLayout, row: [TupleData.Column], columns: [Int]) -> [UInt8] {
        var writer = JSONWriter(capacity: 128)
        writer.raw(UInt8(ascii: "{"))
        var first = true
        for index in columns where index < row.count {
            let rendered: Bool
            switch row[index] {
            case .null:
                if !first { writer.raw(UInt8(ascii: ",")) }
                writer.raw(layout.columnKeys[index])
                writer.null()
                rendered = true
            case .text(let bytes), .binary(let bytes):
                if !first { writer.raw(UInt8(ascii: ",")) }
                writer.raw(layout.columnKeys[index])
                bytes.withUnsafeBytes { writer.string(utf8: $0) }
                rendered = true
            case .unchangedToast:
                rendered = false
            }
            if rendered { first = false }
        }
        writer.raw(UInt8(ascii: "}"))
        return writer.bytes
    }

    /// Appends the complete change message for `entry` in a transaction with commit LSN `lsn`
    /// (its decimal text) and `xid` to `writer` (router renders straight into the change log's
    /// buffer).
    static func render(_ entry: PendingEntry, into writer: inout JSONWriter, relationJSON: [UInt8], lsn: [UInt8], xid: UInt32, last: Bool) {
        writer.raw("{\"headers\":{\"operation\":\"")
        writer.raw(entry.operation.json)
        writer.raw("\",\"relation\":")
        writer.raw(relationJSON)
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
            writer.string(utf8: change.key)
        }
        if last { writer.raw(",\"last\":true") }
        writer.raw("},\"key\":")
        writer.string(utf8: entry.key)
        writer.raw(",\"value\":")
        writer.raw(entry.value)
        if let old = entry.oldValue {
            writer.raw(",\"old_value\":")
            writer.raw(old)
        }
        writer.raw(UInt8(ascii: "}"))
    }

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
