/// Cheap size bounds of values, for the result-size guards of ``WhereClauseLimits``: they
/// must be known before a result is built, without building it.
extension Value {
    /// The number of elements of an array value; 0 for NULL and scalars.
    var arrayCount: Int {
        if case .array(let array) = self { return array.elements.count }
        return 0
    }

    /// An upper bound of the UTF-8 length of the value's text output.
    var textBytesBound: Int {
        switch self {
        case .null: return 0
        case .bool: return 5
        case .int: return 20
        case .float4, .float8: return 32
        case .numeric(let n): return n.textBytesBound
        case .text(let s): return s.utf8.count
        case .uuid: return 36
        case .date, .time, .timestamp, .timestamptz: return 48
        case .interval: return 96
        case .array(let array):
            // Every element may be quoted with every character escaped, plus a separator, and
            // there are at most two braces per element plus the outer pair.
            return array.elements.reduce(2) { $0 + 2 * $1.textBytesBound + 6 }
        }
    }

    /// The text of a value the checker typed as a string.
    func textValue() throws(WhereClauseError) -> String {
        guard case .text(let s) = self else { throw .evaluation("expected a text value") }
        return s
    }

    /// The interval of a value the checker typed as an interval.
    func intervalValue() throws(WhereClauseError) -> Interval {
        guard case .interval(let i) = self else { throw .evaluation("expected an interval value") }
        return i
    }
}
