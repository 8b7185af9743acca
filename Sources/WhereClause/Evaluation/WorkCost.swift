#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Work units charged against ``WhereClauseLimits/maxRowWork`` before an operation runs,
/// estimated from its inputs' sizes alone.
///
/// Most operations cost one unit. The ones whose time grows faster than their inputs are
/// charged what they cost: exact `numeric` multiplication, division, modulo and powers take time
/// proportional to the product of the operands' (or the result's) digit counts, bringing two
/// values to one scale multiplies one by a power of ten computed for it (quadratic in the scale
/// difference; division scales its dividend to the result's scale), a `numeric` turned into text
/// or a float is a conversion quadratic in its digits, `LIKE` may try the pattern at every
/// position of the text for every `%`, and array containment compares every pair of elements.
/// One unit is about one digit pair: rows spending the whole default budget cost 0.4–1 ms in a
/// release build (`bench/where-eval`), while a clause dividing a column by a 4,000-digit parameter
/// a hundred times (1.5 KB of where clause) once cost seconds per row on router's loop, for every
/// shape.
enum WorkCost {
    /// The cost of a binary operation on `a` and `b` (neither NULL).
    @inline(__always)
    static func binary(_ operation: BoundExpression.Operation, _ a: Value, _ b: Value, maxDigits: Int) -> Int {
        switch (a, b) {
        case (.numeric(let x), .numeric(let y)):
            return numeric(operation, x, y, maxDigits: maxDigits)
        case (.text(let x), .text(let y)):
            if case .like = operation { return like(x, pattern: y) }
            return 1
        case (.array(let x), .array(let y)):
            // `@>`, `<@` and `&&` compare every element of one side with every one of the other.
            return 1 + x.elements.count * max(1, y.elements.count)
        default:
            return 1
        }
    }

    /// Whether comparisons with the constant `value` may cost more than a unit: a `numeric`
    /// with many digits or a large scale (the other side is rescaled to it).
    static func mayBeCostly(_ value: Value) -> Bool {
        if case .numeric(let x) = value, x.isFinite { return digits(x) > 32 || x.scale > 32 }
        return false
    }

    /// A comparison of `a` and `b`: two `numeric`s cost what rescaling them does, two arrays
    /// their length.
    @inline(__always)
    static func comparison(_ a: Value, _ b: Value) -> Int {
        if case .numeric(let x) = a, case .numeric(let y) = b { return numeric(.compare(.equal), x, y, maxDigits: .max) }
        if case .array(let x) = a, case .array(let y) = b { return 1 + min(x.elements.count, y.elements.count) }
        return 1
    }

    /// A cast of `value`: a `numeric` converted to another type is a base conversion.
    @inline(__always)
    static func cast(_ value: Value, to target: SQLType) -> Int {
        if case .numeric(let x) = value, target.base != .numeric { return 1 + square(digits(x)) }
        return 1
    }

    /// A function call or `ARRAY[...]` over `arguments`: their sizes (a `numeric` argument may
    /// be converted or rescaled, quadratic in its digits).
    static func call(_ arguments: [Value]) -> Int {
        var units = 1
        for argument in arguments {
            switch argument {
            case .numeric(let x): units += square(digits(x))
            case .text(let s): units += s.utf8.count
            case .array(let array): units += array.elements.count
            default: units += 1
            }
        }
        return units
    }

    /// PostgreSQL's `MatchText` tries the rest of the pattern at each position of the text for
    /// every `%` it is inside of (at most ``LikeMatcher/maxDepth`` deep).
    private static func like(_ text: String, pattern: String) -> Int {
        var wildcards = 0
        for byte in pattern.utf8 where byte == UInt8(ascii: "%") { wildcards += 1 }
        return 1 + pattern.utf8.count + text.utf8.count * (min(wildcards, LikeMatcher.maxDepth) + 1)
    }

    private static func numeric(_ operation: BoundExpression.Operation, _ x: Numeric, _ y: Numeric, maxDigits: Int) -> Int {
        let (dx, dy) = (digits(x), digits(y))
        if case .power = operation {
            // Squarings up to the result's size. A result beyond the digit limit fails from its
            // own estimate before anything is computed.
            guard x.isFinite, y.isFinite, x.sign != 0, y.sign != 0 else { return 1 }
            let exponent = pow(10, y.log10Magnitude)
            let digits = (abs(x.log10Magnitude) + 1) * exponent + Double(dx)
            guard digits <= Double(min(max(maxDigits, dx, dy), Numeric.maxIntegerDigits)) else { return 1 }
            return 1 + square(Int(digits)) / 8
        }
        // Small operands of close scales cost about a unit: only large values are charged.
        let rescale = abs(x.scale - y.scale)
        if dx <= 32 && dy <= 32 && rescale <= 32 { return 1 }
        // Bringing both to one scale multiplies one side by a power of ten computed for it.
        let rescaling = rescale <= 32 ? 0 : square(rescale) / 4 + rescale * min(dx, dy)
        switch operation {
        case .add, .subtract:
            return 1 + max(dx, dy) + rescaling
        case .divide:
            // The dividend is scaled by a power of ten to the result's scale (computing that
            // power is quadratic in its digits too).
            guard x.isFinite, y.isFinite, y.sign != 0 else { return 1 }
            let shift = max(0, Numeric.divisionScale(x, y) - x.scale + y.scale)
            return 1 + (dx + shift) * dy + square(shift) / 4
        case .multiply:
            // A product beyond the digit limit fails from its estimate before it is computed.
            guard dx + dy <= max(maxDigits, dx, dy) else { return 1 }
            return 1 + dx * dy
        default:
            // Remainders and comparisons, on operands brought to one scale.
            return 1 + max(dx, dy) * min(dx, dy) + rescaling
        }
    }

    @inline(__always)
    private static func digits(_ x: Numeric) -> Int { x.isFinite ? x.coefficientDigitsBound : 1 }

    @inline(__always)
    private static func square(_ n: Int) -> Int { n.multipliedReportingOverflow(by: n).overflow ? .max / 2 : n * n }
}
