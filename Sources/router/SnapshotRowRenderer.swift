import ConduitCore
import Postgres

/// Renders rows of a `SELECT <selected columns>` of a shape's table as snapshot insert messages
/// (protocol.md §4.2, §4.5): the initial snapshot's rows (read by `COPY (SELECT …) TO STDOUT`)
/// and subset snapshots' rows.
struct SnapshotRowRenderer {
    private let keyPositions: [Int]
    /// Every column's `"name":` in one buffer (``nameRanges`` delimit them), each after the
    /// first with its leading comma: rendering a row retains one array, not one per column.
    private let names: [UInt8]
    private let nameRanges: [Range<Int>]
    /// `{"key":"` and the key's constant start, `"schema"."table"`, already escaped: only the
    /// key's values are escaped per row.
    private let keyOpen: [UInt8]
    /// `},"headers":{"operation":"insert","relation":["schema","table"]`.
    private let headers: [UInt8]

    /// - Parameters:
    ///   - columns: the selected columns, in the order the query returns them.
    init(schema: String, table: String, columns: [String], primaryKey: [String]) {
        keyPositions = primaryKey.compactMap { columns.firstIndex(of: $0) }
        var names = JSONWriter()
        var ranges: [Range<Int>] = []
        for (index, name) in columns.enumerated() {
            let start = names.bytes.count
            if index > 0 { names.raw(UInt8(ascii: ",")) }
            names.key(name)
            ranges.append(start..<names.bytes.count)
        }
        self.names = names.bytes
        nameRanges = ranges
        var keyOpen = JSONWriter()
        keyOpen.raw("{\"key\":\"")
        Array((ShapeLayout.quoted(schema) + "." + ShapeLayout.quoted(table)).utf8).withUnsafeBytes { keyOpen.escaped(utf8: $0) }
        self.keyOpen = keyOpen.bytes
        var headers = JSONWriter()
        headers.raw("},\"headers\":{\"operation\":\"insert\",\"relation\":[")
        headers.string(schema)
        headers.raw(UInt8(ascii: ","))
        headers.string(table)
        headers.raw(UInt8(ascii: "]"))
        self.headers = headers.bytes
    }

    /// `SELECT "a", "b" FROM "schema"."table"`: the selected columns, quoted.
    static func select(schema: String, table: String, columns: [String]) -> String {
        "SELECT " + columns.map(PostgresConnection.quoteIdentifier).joined(separator: ", ") + " FROM "
            + PostgresConnection.quoteIdentifier(schema) + "." + PostgresConnection.quoteIdentifier(table)
    }

    /// One row as `{"key":…,"value":{…},"headers":{"operation":"insert","relation":[…]}}`, with
    /// `"snapshot_mark":N` in the headers for a subset snapshot.
    func render(_ values: [String?], snapshotMark: Int? = nil) -> [UInt8] {
        var writer = JSONWriter(capacity: 256)
        var key: [UInt8] = []
        render(values, snapshotMark: snapshotMark, into: &writer, key: &key)
        return writer.bytes
    }

    /// ``render(_:snapshotMark:)`` into `writer` (appended), from any row of text values: the
    /// initial snapshot renders the bytes of its COPY rows in place (``CopyTextRow``), without a
    /// `String`. `key` is scratch space, reused from row to row.
    func render(_ values: some SnapshotRowValues, snapshotMark: Int? = nil, into writer: inout JSONWriter, key: inout [UInt8]) {
        key.removeAll(keepingCapacity: true)
        for position in keyPositions {
            values.withValue(at: position) { ChangeRenderer.appendKeyPart($0, to: &key) }
        }
        writer.raw(keyOpen)
        key.withUnsafeBytes { writer.escaped(utf8: $0) }
        writer.raw("\",\"value\":{")
        names.withUnsafeBytes { names in
            for (index, range) in nameRanges.enumerated() {
                writer.raw(UnsafeRawBufferPointer(rebasing: names[range]))
                values.withValue(at: index) { value in
                    if let value { writer.string(utf8: value) } else { writer.null() }
                }
            }
        }
        writer.raw(headers)
        if let snapshotMark {
            writer.raw(",\"snapshot_mark\":")
            writer.integer(snapshotMark)
        }
        writer.raw("}}")
    }
}

/// A row of text values by column position, each handed over as UTF-8 bytes (nil for NULL)
/// for the duration of a call.
protocol SnapshotRowValues {
    func withValue<R>(at index: Int, _ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R
}

/// The initial snapshot's rows (``SnapshotSession``): `COPY` prints values with the same output
/// functions as a `SELECT` in text format, so they render to the same bytes.
extension CopyTextRow: SnapshotRowValues {}

extension Array: SnapshotRowValues where Element == String? {
    func withValue<R>(at index: Int, _ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R {
        guard var value = self[index] else { return try body(nil) }
        return try value.withUTF8 { try body(UnsafeRawBufferPointer($0)) }
    }
}
