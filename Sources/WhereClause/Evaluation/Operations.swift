#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Strict operators on non-NULL values whose types the checker has already unified.
enum Operations {
    static func unary(_ operation: BoundExpression.Operation, _ a: Value, result: SQLType)
        throws(WhereClauseError) -> Value
    {
        switch (operation, a) {
        case (.identity, _): return a
        case (.negate, .int(let x)):
            guard x != .min else { throw Arithmetic.rangeError(result) }
            return try Arithmetic.checked(-x, result)
        case (.negate, .float8(let x)): return .float8(-x)
        case (.negate, .float4(let x)): return .float4(-x)
        case (.negate, .numeric(let x)): return .numeric(-x)
        case (.negate, .interval(let x)): return .interval(try x.negated())
        case (.widenDate, .date(let d)):
            let micros = Casts.saturatingDateToTimestamp(d)
            return result.base == .timestamptz ? .timestamptz(micros) : .timestamp(micros)
        default: throw .evaluation("unsupported operand for \(operation)")
        }
    }

    static func binary(
        _ operation: BoundExpression.Operation, _ a: Value, _ b: Value, leftType: SQLType, rightType: SQLType, result: SQLType,
        limits: WhereClauseLimits
    ) throws(WhereClauseError) -> Value {
        switch operation {
        case .compare(let comparison):
            return .bool(comparison.holds(ValueOrder.compare(a, b, bpchar: leftType.base == .bpchar)))
        case .add, .subtract, .multiply, .divide, .modulo, .power:
            return try Arithmetic.apply(operation, a, b, result: result, limits: limits)
        case .concatText:
            guard case .text(let x) = a, case .text(let y) = b else { break }
            let bytes = x.utf8.count + y.utf8.count
            guard bytes <= limits.maxResultBytes else { throw .textResultTooLong(bytes, limit: limits.maxResultBytes) }
            return .text(x + y)
        case .like(let caseInsensitive):
            guard case .text(let x) = a, case .text(let y) = b else { break }
            return .bool(try LikeMatcher.matches(x, pattern: y, caseInsensitive: caseInsensitive))
        case .contains:
            guard case .array(let x) = a, case .array(let y) = b else { break }
            return .bool(ArrayOperations.contains(x, y, bpchar: leftType.base == .bpchar))
        case .containedBy:
            guard case .array(let x) = a, case .array(let y) = b else { break }
            return .bool(ArrayOperations.contains(y, x, bpchar: leftType.base == .bpchar))
        case .overlaps:
            guard case .array(let x) = a, case .array(let y) = b else { break }
            return .bool(ArrayOperations.overlaps(x, y, bpchar: leftType.base == .bpchar))
        case .element:
            guard case .array(let x) = a, case .int(let index) = b else { break }
            guard x.dimensions.count == 1, index >= 1, index <= Int64(x.elements.count) else { return .null }
            return x.elements[Int(index - 1)]
        default:
            break
        }
        throw .evaluation("unsupported operands for \(operation)")
    }
}

/// Unicode case mapping for `lower`/`upper`/`ILIKE`, per scalar, as a UTF-8 database with a
/// libc locale does it (not the C locale's ASCII-only mapping).
enum TextCase {
    static func lower(_ s: String) -> String {
        if s.utf8.allSatisfy({ $0 < 0x80 }) {
            return String(decoding: s.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 32 : $0 }, as: UTF8.self)
        }
        var result = String.UnicodeScalarView()
        for scalar in s.unicodeScalars { result.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars) }
        return String(result)
    }

    static func upper(_ s: String) -> String {
        if s.utf8.allSatisfy({ $0 < 0x80 }) {
            return String(decoding: s.utf8.map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 32 : $0 }, as: UTF8.self)
        }
        var result = String.UnicodeScalarView()
        for scalar in s.unicodeScalars { result.append(contentsOf: scalar.properties.uppercaseMapping.unicodeScalars) }
        return String(result)
    }
}
