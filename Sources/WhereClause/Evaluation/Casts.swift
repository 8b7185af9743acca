/// Runtime conversions between types (`CAST`, implicit coercions), following PostgreSQL's
/// cast functions: numeric-to-integer rounds half away from zero, float-to-integer rounds half
/// to even, float-to-numeric keeps 15 (float8) or 6 (float4) significant digits, bpchar-to-text
/// strips trailing spaces, `bool::text` is `true`/`false`, text input uses the type's input
/// function.
enum Casts {
    static func convert(_ value: Value, from source: SQLType, to target: SQLType) throws(WhereClauseError) -> Value {
        if source == target { return value }
        if target.isString {
            if source.isString || source.isEnum {
                if source.base == .bpchar, case .text(let s) = value { return .text(s.strippingTrailingSpaces()) }
                return value
            }
            if case .bool(let b) = value { return .text(b ? "true" : "false") }
            return .text(ValueText.format(value, as: source))
        }
        if source.isString || source.isUnknown {
            guard case .text(let text) = value else { return value }
            guard let parsed = ValueText.parse(text, as: target) else {
                throw .evaluation("invalid input syntax for type \(target)")
            }
            return parsed
        }
        if source.isArray && target.isArray {
            guard case .array(let array) = value else { return value }
            var elements: [Value] = []
            elements.reserveCapacity(array.elements.count)
            for element in array.elements {
                elements.append(element.isNull ? .null : try convert(element, from: source.element, to: target.element))
            }
            return .array(ArrayValue(elements: elements, dimensions: array.dimensions))
        }
        return try scalar(value, to: target)
    }

    private static func scalar(_ value: Value, to target: SQLType) throws(WhereClauseError) -> Value {
        switch (value, target.base) {
        case (.int(let i), .int2), (.int(let i), .int4), (.int(let i), .int8): return try Arithmetic.checked(i, target)
        case (.int(let i), .numeric): return .numeric(Numeric(i))
        case (.int(let i), .float8): return .float8(Double(i))
        case (.int(let i), .float4): return .float4(Float(i))
        case (.int(let i), .bool): return .bool(i != 0)
        case (.bool(let b), .int4): return .int(b ? 1 : 0)
        case (.numeric(let n), .int2), (.numeric(let n), .int4), (.numeric(let n), .int8):
            if n.isNaN { throw .evaluation("cannot convert NaN to \(target)") }
            if !n.isFinite { throw .evaluation("cannot convert infinity to \(target)") }
            guard let i = n.roundedInt64 else { throw Arithmetic.rangeError(target) }
            return try Arithmetic.checked(i, target)
        case (.numeric(let n), .float8):
            let d = n.doubleValue
            if n.isFinite && d.isInfinite { throw .evaluation("value out of range for type double precision") }
            return .float8(d)
        case (.numeric(let n), .float4):
            let f = n.isFinite ? Float(n.text) ?? .infinity : Float(n.doubleValue)
            if n.isFinite && f.isInfinite { throw .evaluation("value out of range for type real") }
            return .float4(f)
        case (.float8(let d), .int2), (.float8(let d), .int4), (.float8(let d), .int8):
            return try floatToInteger(d, target)
        case (.float4(let f), .int2), (.float4(let f), .int4), (.float4(let f), .int8):
            return try floatToInteger(Double(f), target)
        case (.float8(let d), .numeric): return .numeric(Numeric(d, significantDigits: 15))
        case (.float4(let f), .numeric): return .numeric(Numeric(Double(f), significantDigits: 6))
        case (.float4(let f), .float8): return .float8(Double(f))
        case (.float8(let d), .float4):
            let f = Float(d)
            if f.isInfinite && !d.isInfinite { throw Arithmetic.floatOverflow }
            if f == 0 && d != 0 { throw Arithmetic.floatUnderflow }
            return .float4(f)
        case (.date(let d), .timestamp): return .timestamp(try dateToTimestamp(d))
        case (.date(let d), .timestamptz): return .timestamptz(try dateToTimestamp(d))
        case (.timestamp(let t), .timestamptz): return .timestamptz(t)
        case (.timestamptz(let t), .timestamp): return .timestamp(t)
        case (.timestamp(let t), .date), (.timestamptz(let t), .date):
            guard DateTimeArithmetic.isFinite(t) else { return .date(t) }
            return .date(Calendar.floorDivide(t, Calendar.microsecondsPerDay).quotient)
        case (.timestamp(let t), .time), (.timestamptz(let t), .time):
            guard DateTimeArithmetic.isFinite(t) else { return .null }
            return .time(Calendar.floorDivide(t, Calendar.microsecondsPerDay).remainder)
        case (.time(let t), .interval): return .interval(Interval(months: 0, days: 0, microseconds: t))
        case (.interval(let i), .time):
            return .time(Calendar.floorDivide(i.microseconds, Calendar.microsecondsPerDay).remainder)
        default:
            throw .evaluation("cannot cast to \(target)")
        }
    }

    /// `dtoi4` and friends: round half to even, then range-check.
    static func floatToInteger(_ d: Double, _ target: SQLType) throws(WhereClauseError) -> Value {
        let rounded = d.rounded(.toNearestOrEven)
        guard !rounded.isNaN, rounded >= -9.223372036854775808e18, rounded < 9.223372036854775808e18 else {
            throw Arithmetic.rangeError(target)
        }
        return try Arithmetic.checked(Int64(rounded), target)
    }

    /// `date2timestamp_opt_overflow` as the cross-type comparisons use it: a date after the
    /// last finite timestamp becomes a value between every finite timestamp and infinity.
    static func saturatingDateToTimestamp(_ days: Int64) -> Int64 {
        guard DateTimeArithmetic.isFinite(days) else { return days }
        let (value, overflow) = days.multipliedReportingOverflow(by: Calendar.microsecondsPerDay)
        if overflow || value > Calendar.timestampRange.upperBound { return Int64.max - 1 }
        return value
    }

    static func dateToTimestamp(_ days: Int64) throws(WhereClauseError) -> Int64 {
        guard DateTimeArithmetic.isFinite(days) else { return days }
        let (value, overflow) = days.multipliedReportingOverflow(by: Calendar.microsecondsPerDay)
        guard !overflow, Calendar.timestampRange.contains(value) else {
            throw .evaluation("date out of range for timestamp")
        }
        return value
    }
}
