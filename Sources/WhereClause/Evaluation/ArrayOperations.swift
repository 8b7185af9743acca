/// Array functions and operators: `@>`, `<@`, `&&`, `array_cat`, `array_append`,
/// `array_prepend` and the `ARRAY[...]` constructor, with PostgreSQL's NULL and
/// dimension rules.
enum ArrayOperations {
    static let incompatible = WhereClauseError.evaluation("cannot concatenate incompatible arrays")

    /// `a @> b`: every element of `b` equals some element of `a`; a NULL in `b` makes it
    /// false (`array_contain_compare` with `matchall`).
    static func contains(_ a: ArrayValue, _ b: ArrayValue, bpchar: Bool) -> Bool {
        for needle in b.elements {
            if needle.isNull { return false }
            if !a.elements.contains(where: { !$0.isNull && ValueOrder.compare($0, needle, bpchar: bpchar) == 0 }) {
                return false
            }
        }
        return true
    }

    /// `a && b`: some non-NULL element in common.
    static func overlaps(_ a: ArrayValue, _ b: ArrayValue, bpchar: Bool) -> Bool {
        for needle in a.elements where !needle.isNull {
            if b.elements.contains(where: { !$0.isNull && ValueOrder.compare($0, needle, bpchar: bpchar) == 0 }) {
                return true
            }
        }
        return false
    }

    /// `array_cat` (also `array || array`): NULL or empty inputs yield the other input.
    static func concatenate(_ a: Value, _ b: Value) throws(WhereClauseError) -> Value {
        guard case .array(let x) = a else { return b }
        guard case .array(let y) = b else { return a }
        if x.elements.isEmpty { return b }
        if y.elements.isEmpty { return a }
        if x.dimensions.count == y.dimensions.count {
            guard Array(x.dimensions.dropFirst()) == Array(y.dimensions.dropFirst()) else { throw incompatible }
            var dimensions = x.dimensions
            dimensions[0] += y.dimensions[0]
            return .array(ArrayValue(elements: x.elements + y.elements, dimensions: dimensions))
        }
        if x.dimensions.count == y.dimensions.count + 1, Array(x.dimensions.dropFirst()) == y.dimensions {
            var dimensions = x.dimensions
            dimensions[0] += 1
            return .array(ArrayValue(elements: x.elements + y.elements, dimensions: dimensions))
        }
        if y.dimensions.count == x.dimensions.count + 1, Array(y.dimensions.dropFirst()) == x.dimensions {
            var dimensions = y.dimensions
            dimensions[0] += 1
            return .array(ArrayValue(elements: x.elements + y.elements, dimensions: dimensions))
        }
        throw incompatible
    }

    static let notOneDimensional = WhereClauseError.evaluation("argument must be empty or one-dimensional array")

    /// `array_append`: a NULL array acts as empty; the element may be NULL.
    static func append(_ array: Value, _ element: Value) throws(WhereClauseError) -> Value {
        guard case .array(let x) = array else { return .array(ArrayValue([element])) }
        guard x.dimensions.count <= 1 else { throw notOneDimensional }
        return .array(ArrayValue(x.elements + [element]))
    }

    /// `array_prepend`.
    static func prepend(_ element: Value, _ array: Value) throws(WhereClauseError) -> Value {
        guard case .array(let x) = array else { return .array(ArrayValue([element])) }
        guard x.dimensions.count <= 1 else { throw notOneDimensional }
        return .array(ArrayValue([element] + x.elements))
    }

    static let mismatchedDimensions = WhereClauseError.evaluation(
        "multidimensional arrays must have array expressions with matching dimensions")

    /// `ARRAY[...]`: scalars make a one-dimensional array; sub-arrays must all have the same
    /// dimensions and make one more dimension. If every sub-array is NULL or empty the result
    /// is empty; a mix of empty and non-empty ones is an error (`ExecEvalArrayExpr`).
    static func construct(_ values: [Value], nested: Bool, limits: WhereClauseLimits) throws(WhereClauseError) -> Value {
        guard nested else { return .array(ArrayValue(values)) }
        let total = values.reduce(0) { $0 + $1.arrayCount }
        guard total <= limits.maxResultElements else { throw .arrayResultTooLarge(total, limit: limits.maxResultElements) }
        var elements: [Value] = []
        var inner: [Int]?
        var count = 0
        var haveEmpty = false
        for value in values {
            guard case .array(let sub) = value, !sub.elements.isEmpty else {
                haveEmpty = true
                continue
            }
            if let inner, inner != sub.dimensions { throw mismatchedDimensions }
            inner = sub.dimensions
            elements += sub.elements
            count += 1
        }
        guard let inner else { return .array(.empty) }
        if haveEmpty { throw mismatchedDimensions }
        guard inner.count < 6 else { throw .evaluation("number of array dimensions (7) exceeds the maximum allowed (6)") }
        return .array(ArrayValue(elements: elements, dimensions: [count] + inner))
    }
}
