import BigInt

extension Numeric {
    static func + (a: Numeric, b: Numeric) -> Numeric {
        if a.isNaN || b.isNaN { return .nan }
        if !a.isFinite || !b.isFinite {
            if !a.isFinite && !b.isFinite && a.special != b.special { return .nan }
            return a.isFinite ? b : a
        }
        let s = max(a.scale, b.scale)
        return Numeric(coefficient: a.coefficient(atScale: s) + b.coefficient(atScale: s), scale: s)
    }

    static prefix func - (a: Numeric) -> Numeric {
        switch a.special {
        case .nan: return .nan
        case .positiveInfinity: return .negativeInfinity
        case .negativeInfinity: return .infinity
        case .finite: return Numeric(coefficient: -a.coefficient, scale: a.scale)
        }
    }

    static func - (a: Numeric, b: Numeric) -> Numeric { a + (-b) }

    static func * (a: Numeric, b: Numeric) -> Numeric {
        if a.isNaN || b.isNaN { return .nan }
        if !a.isFinite || !b.isFinite {
            let sign = a.sign * b.sign
            if sign == 0 { return .nan }
            return sign > 0 ? .infinity : .negativeInfinity
        }
        return Numeric(coefficient: a.coefficient * b.coefficient, scale: a.scale + b.scale)
    }

    /// PostgreSQL's `numeric_div`, with the result scale from `select_div_scale`.
    static func divide(_ a: Numeric, _ b: Numeric) throws(WhereClauseError) -> Numeric {
        if a.isNaN || b.isNaN { return .nan }
        if b.isFinite && b.sign == 0 { throw .divisionByZero }
        if !a.isFinite {
            if !b.isFinite { return .nan }
            return a.sign * b.sign > 0 ? .infinity : .negativeInfinity
        }
        if !b.isFinite { return Numeric(0) }
        let rscale = divisionScale(a, b)
        // a/b at rscale: (ca * 10^(rscale - sa + sb)) / cb, rounded.
        let shift = rscale - a.scale + b.scale
        var numerator = a.coefficient
        var denominator = b.coefficient
        if shift >= 0 { numerator *= powerOfTen(shift) } else { denominator *= powerOfTen(-shift) }
        return Numeric(coefficient: divideRounded(numerator, denominator), scale: rscale)
    }

    /// PostgreSQL's `numeric_mod`: `a - trunc(a / b) * b`, scale `max(sa, sb)`.
    static func remainder(_ a: Numeric, _ b: Numeric) throws(WhereClauseError) -> Numeric {
        if a.isNaN || b.isNaN { return .nan }
        if b.isFinite && b.sign == 0 { throw .divisionByZero }
        if !a.isFinite { return .nan }
        if !b.isFinite { return a }
        let s = max(a.scale, b.scale)
        let r = a.coefficient(atScale: s) % b.coefficient(atScale: s)
        return Numeric(coefficient: r, scale: s)
    }

    /// `numeric ^ numeric` for a finite base and an integer exponent that fits in int4, as
    /// PostgreSQL's `power_var_int`: the exact power rounded (half away from zero) to
    /// `max(16, base scale)` digits; negative exponents divide 1 by the exact power at that
    /// scale. Returns nil for other inputs (the caller falls back to double precision).
    static func integerPower(_ base: Numeric, _ exponent: Numeric) throws(WhereClauseError) -> Numeric? {
        guard base.isFinite, exponent.isFinite else { return nil }
        let divisor = powerOfTen(exponent.scale)
        let (whole, fraction) = exponent.coefficient.quotientAndRemainder(dividingBy: divisor)
        guard fraction == 0, let power = Int32(exactly: whole) else { return nil }
        let rscale = min(max(16, base.scale), 1000)
        if power == 0 { return Numeric(coefficient: powerOfTen(rscale), scale: rscale) }
        if base.sign == 0 {
            if power < 0 { throw .evaluation("zero raised to a negative power is undefined") }
            return Numeric(coefficient: 0, scale: rscale)
        }
        // log10 of the result bounds the work: PostgreSQL overflows above ~131072 digits.
        let magnitudeDigits = Double(BigInt(base.coefficient.magnitude).description.count - base.scale)
        let estimate = Double(power) * magnitudeDigits
        if estimate > 131_072 { throw .evaluation("value overflows numeric format") }
        if estimate < -Double(rscale) - 2 { return Numeric(coefficient: 0, scale: rscale) }
        let count = Int(power.magnitude)
        let exact = Numeric(coefficient: base.coefficient.power(count), scale: base.scale * count)
        if power > 0 { return exact.rounded(toScale: rscale) }
        // 1 / exact at rscale: (10^(rscale + scale)) / coefficient, rounded.
        let numerator = powerOfTen(rscale + exact.scale)
        return Numeric(coefficient: divideRounded(numerator, exact.coefficient), scale: rscale)
    }

    /// Weight (in base-10000 digits) and first base-10000 digit of a finite non-zero value,
    /// as PostgreSQL's internal representation has them.
    private var baseTenThousandLead: (weight: Int, digit: BigInt) {
        let magnitude = BigInt(coefficient.magnitude)
        let decimalExponent = magnitude.description.count - 1 - scale
        let weight = decimalExponent >= 0 ? decimalExponent / 4 : -((-decimalExponent + 3) / 4)
        let shift = scale + 4 * weight
        let digit = shift >= 0 ? magnitude / Numeric.powerOfTen(shift) : magnitude * Numeric.powerOfTen(-shift)
        return (weight, digit)
    }

    /// `select_div_scale` from PostgreSQL's numeric.c: at least 16 significant digits, at
    /// least the inputs' scales, between 0 and 1000.
    static func divisionScale(_ a: Numeric, _ b: Numeric) -> Int {
        let (w1, d1) = a.sign == 0 ? (0, BigInt(0)) : a.baseTenThousandLead
        let (w2, d2) = b.sign == 0 ? (0, BigInt(0)) : b.baseTenThousandLead
        var qweight = w1 - w2
        if d1 <= d2 { qweight -= 1 }
        var rscale = 16 - qweight * 4
        rscale = max(rscale, a.scale, b.scale, 0)
        return min(rscale, 1000)
    }
}
