/// A top-level conjunct of a where clause that a router can answer with a hash lookup.
///
/// Every condition is *necessary*: a row can only be in the shape if it satisfies all of the
/// shape's indexable conditions. They are not sufficient; after an index hit the router must
/// still call ``WhereClause/evaluate(row:)``, unless the whole clause is one equality or `IN`
/// condition (``WhereClause/exactCondition``), which ``admits(_:)`` decides exactly.
///
/// Values are the PostgreSQL text output of the constant in the column's type, so they can be
/// compared byte-for-byte with the text pgoutput sends for the row. Only types whose text
/// output is canonical (equal values ⇔ equal text) are indexed: `int2`, `int4`, `int8`,
/// `text`, `varchar`, `uuid`, `bool`, `date` (and arrays of these; `date` assumes the
/// replication session prints dates with `DateStyle = ISO`, PostgreSQL's default). Not indexed: `numeric`
/// (`1.0` = `1`), floats (`-0` = `0`), `bpchar` (padding), intervals (`1 mon` = `30 days`),
/// timestamps and times (text depends on session settings), enums (only usable via `::text`).
public enum IndexableCondition: Sendable, Hashable {
    /// `column = constant` (either order); also a bare boolean column (`"t"`), `NOT column`
    /// and `column IS TRUE/FALSE`.
    case equals(column: String, value: String)
    /// `column IN (constants)`; NULL items are dropped (they never match).
    case oneOf(column: String, values: [String])
    /// The array column contains every value: `constant = ANY(column)`, `column @> constants`,
    /// `constants <@ column`.
    case arrayContains(column: String, values: [String])

    /// The column the condition constrains.
    public var column: String {
        switch self {
        case .equals(let column, _), .oneOf(let column, _), .arrayContains(let column, _): column
        }
    }

    /// Whether a row whose `column` has text `text` (nil for NULL) can satisfy the condition.
    public func admits(_ text: String?) -> Bool {
        guard let text else { return false }
        switch self {
        case .equals(_, let value): return text == value
        case .oneOf(_, let values): return values.contains(text)
        case .arrayContains(_, let values):
            guard let elements = IndexableCondition.elements(ofArrayText: text) else { return false }
            return values.allSatisfy { value in elements.contains { $0 == value } }
        }
    }

    /// The element texts (flattened, NULLs as nil) of a PostgreSQL array literal such as
    /// `{1,2,NULL}` or `{"a b",c}`; nil if malformed.
    public static func elements(ofArrayText text: String) -> [String?]? {
        guard let array = ArrayText.parse(text, element: { .text($0) }) else { return nil }
        return array.elements.map { value in
            if case .text(let s) = value { return s }
            return nil
        }
    }

    static func isIndexable(_ type: SQLType) -> Bool {
        switch type.base {
        case .int2, .int4, .int8, .text, .varchar, .uuid, .bool, .date: true
        default: false
        }
    }

    /// Extracts conditions from the top-level conjuncts of `root`.
    static func extract(from root: BoundExpression) -> [IndexableCondition] {
        let conjuncts: [BoundExpression]
        if case .and(let operands) = root.kind { conjuncts = operands } else { conjuncts = [root] }
        return conjuncts.compactMap(condition)
    }

    /// A column reference, looking through casts that preserve equality of text output
    /// (integer widening, varchar → text).
    private static func column(_ e: BoundExpression) -> (name: String, type: SQLType)? {
        switch e.kind {
        case .column(_, let name): return isIndexable(e.type.element) ? (name, e.type) : nil
        case .cast(let inner):
            let widening = inner.type.isInteger && e.type.isInteger
            let relabel = inner.type.base == .varchar && e.type.base == .text && inner.type.isArray == e.type.isArray
            return widening || relabel ? column(inner) : nil
        default: return nil
        }
    }

    private static func text(_ e: BoundExpression, as type: SQLType) -> String? {
        guard case .constant(let value, _) = e.kind, !value.isNull else { return nil }
        return ValueText.format(value, as: type)
    }

    /// The condition `e` is, if it is indexable.
    static func condition(_ e: BoundExpression) -> IndexableCondition? {
        switch e.kind {
        case .column(_, let name) where e.type == .bool:
            return .equals(column: name, value: "t")
        case .not(let inner):
            if case .column(_, let name) = inner.kind, inner.type == .bool { return .equals(column: name, value: "f") }
        case .booleanTest(let inner, let test, negated: false) where test != .isUnknown:
            if case .column(_, let name) = inner.kind { return .equals(column: name, value: test == .isTrue ? "t" : "f") }
        case .operation(.compare(.equal), let args):
            for (c, k) in [(args[0], args[1]), (args[1], args[0])] {
                if let col = column(c), !col.type.isArray, let value = text(k, as: c.type) {
                    return .equals(column: col.name, value: value)
                }
            }
        case .inList(let left, let items, negated: false):
            guard let col = column(left), !col.type.isArray else { return nil }
            var values: [String] = []
            for item in items {
                guard case .constant(let value, _) = item.kind else { return nil }
                if !value.isNull { values.append(ValueText.format(value, as: left.type)) }
            }
            return .oneOf(column: col.name, values: values)
        case .quantified(.compare(.equal), let left, let right, all: false):
            if let col = column(right), col.type.isArray, let value = text(left, as: right.type.element) {
                return .arrayContains(column: col.name, values: [value])
            }
        case .operation(.contains, let args), .operation(.containedBy, let args):
            var isContains = false
            if case .operation(.contains, _) = e.kind { isContains = true }
            let (c, k) = isContains ? (args[0], args[1]) : (args[1], args[0])
            guard let col = column(c), case .constant(.array(let array), _) = k.kind,
                !array.elements.isEmpty, !array.elements.contains(where: \.isNull)
            else { return nil }
            return .arrayContains(column: col.name, values: array.elements.map { ValueText.format($0, as: c.type.element) })
        default:
            break
        }
        return nil
    }
}
