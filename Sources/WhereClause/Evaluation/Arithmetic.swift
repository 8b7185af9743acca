#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `+ - * / % ^` on numbers, intervals and date/time values, with PostgreSQL's overflow and
/// division-by-zero errors.
enum Arithmetic {
    static func rangeError(_ type: SQLType) -> WhereClauseError {
        switch type.base {
        case .int2: .smallintOutOfRange
        case .int8: .bigintOutOfRange
        default: .integerOutOfRange
        }
    }

    static func checked(_ value: Int64, _ type: SQLType) throws(WhereClauseError) -> Value {
        switch type.base {
        case .int2: guard Int16(exactly: value) != nil else { throw .smallintOutOfRange }
        case .int4: guard Int32(exactly: value) != nil else { throw .integerOutOfRange }
        default: break
        }
        return .int(value)
    }

    static let floatOverflow = WhereClauseError.evaluation("value out of range: overflow")
    static let floatUnderflow = WhereClauseError.evaluation("value out of range: underflow")

    static func apply(
        _ operation: BoundExpression.Operation, _ a: Value, _ b: Value, result: SQLType, limits: WhereClauseLimits = .default
    ) throws(WhereClauseError) -> Value {
        switch (a, b) {
        case (.int(let x), .int(let y)): return try integer(operation, x, y, result)
        case (.float8(let x), .float8(let y)): return .float8(try double(operation, x, y))
        case (.float4(let x), .float4(let y)): return .float4(try float(operation, x, y))
        case (.numeric(let x), .numeric(let y)):
            let maxDigits = max(limits.maxNumericDigits, x.coefficientDigitsBound, y.coefficientDigitsBound)
            return .numeric(try numeric(operation, x, y, maxDigits: maxDigits).checkedDigits(maxDigits))
        default: return try DateTimeArithmetic.apply(operation, a, b, result: result)
        }
    }

    static func integer(_ operation: BoundExpression.Operation, _ x: Int64, _ y: Int64, _ type: SQLType)
        throws(WhereClauseError) -> Value
    {
        let (value, overflow): (Int64, Bool)
        switch operation {
        case .add: (value, overflow) = x.addingReportingOverflow(y)
        case .subtract: (value, overflow) = x.subtractingReportingOverflow(y)
        case .multiply: (value, overflow) = x.multipliedReportingOverflow(by: y)
        case .divide:
            guard y != 0 else { throw .divisionByZero }
            (value, overflow) = x.dividedReportingOverflow(by: y)
        case .modulo:
            guard y != 0 else { throw .divisionByZero }
            // PostgreSQL special-cases INT_MIN % -1 as 0 rather than trapping.
            (value, overflow) = y == -1 ? (0, false) : x.remainderReportingOverflow(dividingBy: y)
        default: throw .evaluation("unsupported integer operation")
        }
        if overflow { throw rangeError(type) }
        return try checked(value, type)
    }

    static func double(_ operation: BoundExpression.Operation, _ x: Double, _ y: Double) throws(WhereClauseError) -> Double {
        if operation == .power { return try power(x, y) }
        return try floating(operation, x, y)
    }

    static func float(_ operation: BoundExpression.Operation, _ x: Float, _ y: Float) throws(WhereClauseError) -> Float {
        try floating(operation, x, y)
    }

    /// `+ - * /` with PostgreSQL's float checks: underflow to zero, division by zero and
    /// overflow to infinity from finite operands are errors.
    private static func floating<F: BinaryFloatingPoint>(
        _ operation: BoundExpression.Operation, _ x: F, _ y: F
    ) throws(WhereClauseError) -> F {
        let result: F
        switch operation {
        case .add: result = x + y
        case .subtract: result = x - y
        case .multiply:
            result = x * y
            if result == 0 && x != 0 && y != 0 { throw floatUnderflow }
        case .divide:
            if y == 0 && !x.isNaN { throw .divisionByZero }
            result = x / y
            if result == 0 && x != 0 && !y.isInfinite { throw floatUnderflow }
        default: throw .evaluation("unsupported float operation")
        }
        if result.isInfinite && !x.isInfinite && !y.isInfinite { throw floatOverflow }
        return result
    }

    /// `float8pow`: PostgreSQL's checks around C `pow`.
    static func power(_ x: Double, _ y: Double) throws(WhereClauseError) -> Double {
        if x.isNaN { return y == 0 ? 1 : .nan }
        if y.isNaN { return x == 1 ? 1 : .nan }
        if x == 0 && y < 0 { throw .evaluation("zero raised to a negative power is undefined") }
        if x < 0 && y.rounded(.down) != y && y.isFinite {
            throw .evaluation("a negative number raised to a non-integer power yields a complex result")
        }
        let result = pow(x, y)
        if result.isInfinite && !x.isInfinite && !y.isInfinite { throw floatOverflow }
        if result == 0 && x != 0 && !y.isInfinite && !x.isInfinite { throw floatUnderflow }
        return result
    }

    /// Numeric arithmetic; results larger than `maxDigits` fail before they are computed
    /// where their size can be estimated from the operands (products and powers).
    static func numeric(_ operation: BoundExpression.Operation, _ x: Numeric, _ y: Numeric, maxDigits: Int)
        throws(WhereClauseError) -> Numeric
    {
        switch operation {
        case .add: return try (x + y).checkedFormat()
        case .subtract: return try (x - y).checkedFormat()
        case .multiply: return try Numeric.multiply(x, y, maxDigits: maxDigits)
        case .divide: return try Numeric.divide(x, y).checkedFormat()
        case .modulo: return try Numeric.remainder(x, y)
        case .power:
            if x.isFinite && x.sign == 0 && y.sign < 0 { throw .evaluation("zero raised to a negative power is undefined") }
            if let exact = try Numeric.integerPower(x, y, maxDigits: maxDigits) { return exact }
            // Non-integer exponents and special values: computed in double precision with 16
            // significant digits; PostgreSQL uses exact logarithms (a documented gap).
            let value = try power(x.doubleValue, y.doubleValue)
            return Numeric(value, significantDigits: 16)
        default: throw .evaluation("unsupported numeric operation")
        }
    }
}
