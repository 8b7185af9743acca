import Spool
import WhereClause

/// The shapes of one table, arranged so that routing a row costs time proportional to the
/// shapes it may match rather than to all shapes of the table.
///
/// A shape whose where clause has an indexable conjunct (`column = constant` or
/// `column IN (constants)`) is filed under that column and value(s); a row can only match it
/// if its text for that column is one of them, so only those shapes are evaluated for the row.
/// Every other shape is a candidate for every row.
final class RelationShapes {
    private(set) var all: [ActiveShape] = []
    private var unindexed: [ActiveShape] = []
    /// column → value text → shapes.
    private var indexed: [String: [String: [ActiveShape]]] = [:]

    var isEmpty: Bool { all.isEmpty }

    func add(_ shape: ActiveShape, conditions: [IndexableCondition]) {
        all.append(shape)
        for condition in conditions {
            switch condition {
            case .equals(let column, let value):
                shape.indexKey = (column, [value])
            case .oneOf(let column, let values):
                shape.indexKey = (column, values)
            case .arrayContains:
                continue
            }
            break
        }
        guard let key = shape.indexKey else {
            unindexed.append(shape)
            return
        }
        for value in Set(key.values) { indexed[key.column, default: [:]][value, default: []].append(shape) }
    }

    func remove(_ shape: ActiveShape) {
        all.removeAll { $0 === shape }
        guard let key = shape.indexKey else {
            unindexed.removeAll { $0 === shape }
            return
        }
        for value in Set(key.values) {
            indexed[key.column]?[value]?.removeAll { $0 === shape }
            if indexed[key.column]?[value]?.isEmpty == true { indexed[key.column]?[value] = nil }
        }
        if indexed[key.column]?.isEmpty == true { indexed[key.column] = nil }
    }

    /// The shapes a change with row image `row` (and, for an update that carries it, `old`) of
    /// a relation with column `names` may belong to, each once.
    ///
    /// A shape is filed under one column only, once per value, and never also in `unindexed`, so
    /// the lists one image's lookups return are disjoint: only a second image can name a shape
    /// twice, and only then is a set of those seen kept.
    func candidates(row: [TupleData.Column], old: [TupleData.Column]?, names: [String]) -> [ActiveShape] {
        if indexed.isEmpty { return unindexed }
        var result = unindexed
        var seen = Set<ObjectIdentifier>()  // allocates on its first insert only
        for (column, byValue) in indexed {
            guard let position = names.firstIndex(of: column) else { continue }
            guard let old else {
                // Usually the only list found: returned as it is, not copied.
                guard let shapes = Self.shapes(in: byValue, of: row, at: position) else { continue }
                if result.isEmpty { result = shapes } else { result.append(contentsOf: shapes) }
                continue
            }
            for image in [row, old] {
                guard let shapes = Self.shapes(in: byValue, of: image, at: position) else { continue }
                for shape in shapes where seen.insert(ObjectIdentifier(shape)).inserted { result.append(shape) }
            }
        }
        return result
    }

    /// The shapes filed under the text `row` has at `position`.
    private static func shapes(in byValue: [String: [ActiveShape]], of row: [TupleData.Column], at position: Int) -> [ActiveShape]? {
        guard position < row.count, case .text(let bytes) = row[position] else { return nil }
        return byValue[String(decoding: bytes, as: UTF8.self)]
    }
}
