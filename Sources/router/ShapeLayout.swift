import ConduitCore
import Spool
import Synchronization

/// A shape's columns resolved against the relation as the replication stream describes it:
/// which positions of a pgoutput row are selected, which form the key, and the pre-escaped JSON
/// pieces used to render every message of the shape.
struct ShapeLayout: Sendable {
    /// Relation column positions of the selected columns, in table order.
    var selected: [Int]
    /// Relation column positions of the key columns, in key order.
    var key: [Int]
    /// `"name":` per relation column, JSON-escaped once.
    var columnKeys: [[UInt8]]
    /// Column names per relation position (for where-clause evaluation).
    var names: [String]
    /// `"schema"."table"`, the start of every message key, JSON-escaped (without the quotes
    /// around the key).
    var escapedKeyPrefix: [UInt8]
    /// `["schema","table"]`.
    var relationJSON: [UInt8]

    /// Resolves `metadata`'s columns against `relation`; nil when a selected or key column is
    /// missing from it (the table changed shape).
    init?(metadata: ShapeMetadata, relation: PgOutputMessage.Relation) {
        let names = relation.columns.map(\.name)
        var selected: [Int] = []
        for (index, name) in names.enumerated() where metadata.columns.contains(name) { selected.append(index) }
        guard selected.count == metadata.columns.count else { return nil }
        var key: [Int] = []
        for name in metadata.primaryKey {
            guard let index = names.firstIndex(of: name) else { return nil }
            key.append(index)
        }
        self.selected = selected
        self.key = key
        self.names = names
        self.columnKeys = names.map { name in
            var writer = JSONWriter(capacity: name.utf8.count + 3)
            writer.key(name)
            return writer.bytes
        }
        self.escapedKeyPrefix = Self.escapedKeyPrefix(schema: relation.namespace, table: relation.name)
        var relationWriter = JSONWriter()
        relationWriter.raw(UInt8(ascii: "["))
        relationWriter.string(relation.namespace)
        relationWriter.raw(UInt8(ascii: ","))
        relationWriter.string(relation.name)
        relationWriter.raw(UInt8(ascii: "]"))
        self.relationJSON = relationWriter.bytes
    }

    static func quoted(_ name: String) -> String { "\"" + name + "\"" }

    /// `"schema"."table"`, JSON-escaped: how every message key of the table starts.
    static func escapedKeyPrefix(schema: String, table: String) -> [UInt8] {
        var writer = JSONWriter()
        Array((quoted(schema) + "." + quoted(table)).utf8).withUnsafeBytes { writer.escaped(utf8: $0) }
        return writer.bytes
    }

    /// ``init(metadata:relation:)``, shared with every shape that has the same columns of the
    /// same relation (see ``ShapeLayoutTable``).
    static func shared(metadata: ShapeMetadata, relation: PgOutputMessage.Relation) -> ShapeLayout? {
        ShapeLayoutTable.shared.layout(metadata: metadata, relation: relation)
    }
}

/// One copy of each distinct ``ShapeLayout``, handed to every shape that resolves to it.
///
/// Routing a row touches its shape's layout (the column keys it renders, the key positions). With
/// ten thousand shapes on one table, ten thousand equal copies meant a cache miss on each of those
/// arrays for nearly every row; shared, they stay in cache. Bounded: the table starts over when it
/// holds ``capacity`` layouts (a layout no longer shared is only a copy, never wrong).
final class ShapeLayoutTable: Sendable {
    static let shared = ShapeLayoutTable()
    static let capacity = 4096

    private struct Key: Hashable {
        var relationID: UInt32
        var namespace: String
        var name: String
        var relationColumns: [String]
        var columns: [String]
        var primaryKey: [String]
    }

    private let layouts = Mutex<[Key: ShapeLayout]>([:])

    func layout(metadata: ShapeMetadata, relation: PgOutputMessage.Relation) -> ShapeLayout? {
        let key = Key(
            relationID: relation.relationID, namespace: relation.namespace, name: relation.name,
            relationColumns: relation.columns.map(\.name), columns: metadata.columns, primaryKey: metadata.primaryKey)
        if let layout = layouts.withLock({ $0[key] }) { return layout }
        guard let layout = ShapeLayout(metadata: metadata, relation: relation) else { return nil }
        layouts.withLock { table in
            if table.count >= Self.capacity { table.removeAll() }
            table[key] = layout
        }
        return layout
    }
}
