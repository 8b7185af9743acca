import ConduitCore
import Postgres

/// Renders rows of a `SELECT <selected columns>` of a shape's table as snapshot insert messages
/// (protocol.md §4.2, §4.5): the initial snapshot's rows (read by `COPY (SELECT …) TO STDOUT`)
/// and subset snapshots' rows.
struct SnapshotRowRenderer {
    private let keyPositions: [Int]
    /// `{"key":"` and the key's constant start, `"schema"."table"`, already escaped: only the
    /// key's values are escaped per row.
    private let keyOpen: [UInt8]
    /// What goes between one value's bytes and the next's, by column and by whether the value
    /// before (the key, for the first column) and this one are strings (quoted) or `null`: the
    /// closing quote, the comma, `"name":`, the opening quote or `null`, in one piece. A row is
    /// then two appends per column (join, escaped value) instead of four or five; appends were a
    /// fifth of router's samples while copying a snapshot. All joins live in one buffer
    /// (``joinRanges``, four per column), so rendering a row retains one array, not one per piece.
    private let joins: [UInt8]
    private let joinRanges: [Range<Int>]
    /// After the last value (closing quote or not): `},"headers":{"operation":"insert","relation":[…]`,
    /// then `}}` in ``closedTails`` (the rows without a snapshot mark).
    private let tails: [[UInt8]]
    private let closedTails: [[UInt8]]

    /// - Parameters:
    ///   - columns: the selected columns, in the order the query returns them.
    init(schema: String, table: String, columns: [String], primaryKey: [String]) {
        keyPositions = primaryKey.compactMap { columns.firstIndex(of: $0) }
        var keyOpen = JSONWriter()
        keyOpen.raw("{\"key\":\"")
        keyOpen.raw(ShapeLayout.escapedKeyPrefix(schema: schema, table: table))
        self.keyOpen = keyOpen.bytes
        var joins = JSONWriter()
        var ranges: [Range<Int>] = []
        for (index, name) in columns.enumerated() {
            for variant in 0..<4 {
                let (previousIsString, isString) = (variant & 2 != 0, variant & 1 != 0)
                let start = joins.bytes.count
                // The key is a string: the first column only follows one.
                if previousIsString || index == 0 { joins.raw(UInt8(ascii: "\"")) }
                joins.raw(index == 0 ? ",\"value\":{" : ",")
                joins.key(name)
                if isString { joins.raw(UInt8(ascii: "\"")) } else { joins.null() }
                ranges.append(start..<joins.bytes.count)
            }
        }
        self.joins = joins.bytes
        joinRanges = ranges
        var headers = JSONWriter()
        headers.raw("},\"headers\":{\"operation\":\"insert\",\"relation\":[")
        headers.string(schema)
        headers.raw(UInt8(ascii: ","))
        headers.string(table)
        headers.raw(UInt8(ascii: "]"))
        // Without columns the tail follows the key (a string) and opens the value itself.
        let afterString = columns.isEmpty ? Array("\",\"value\":{".utf8) : [UInt8(ascii: "\"")]
        tails = [headers.bytes, afterString + headers.bytes]
        closedTails = tails.map { $0 + Array("}}".utf8) }
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
        render(values, snapshotMark: snapshotMark, into: &writer)
        return writer.bytes
    }

    /// ``render(_:snapshotMark:)`` into `writer` (appended), from any row of text values: the
    /// initial snapshot renders the bytes of its COPY rows in place (``CopyTextRow``), without a
    /// `String`.
    func render(_ values: some SnapshotRowValues, snapshotMark: Int? = nil, into writer: inout JSONWriter) {
        writer.raw(keyOpen)
        for position in keyPositions {
            values.withValue(at: position) { ChangeRenderer.keyPart($0, into: &writer) }
        }
        var previousIsString = true
        joins.withUnsafeBytes { joins in
            for index in 0..<(joinRanges.count / 4) {
                values.withValue(at: index) { value in
                    let range = joinRanges[index * 4 + (previousIsString ? 2 : 0) + (value == nil ? 0 : 1)]
                    writer.raw(UnsafeRawBufferPointer(rebasing: joins[range]))
                    if let value { writer.escaped(utf8: value) }
                    previousIsString = value != nil
                }
            }
        }
        // Without columns the key's closing quote is in the tail (`previousIsString`).
        let tail = previousIsString ? 1 : 0
        guard let snapshotMark else {
            writer.raw(closedTails[tail])
            return
        }
        writer.raw(tails[tail])
        writer.raw(",\"snapshot_mark\":")
        writer.integer(snapshotMark)
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
