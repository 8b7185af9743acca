import BigInt

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

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

    /// PostgreSQL's `numeric_mul`: the exact product, rounded to ``maxScale`` fraction digits
    /// when longer (PostgreSQL rounds rather than failing); a product beyond 10^131072 fails
    /// from the operands' sizes before it is computed, and so does one of more than
    /// `maxDigits` digits (``WhereClauseLimits/maxNumericDigits``).
    static func multiply(_ a: Numeric, _ b: Numeric, maxDigits: Int = .max) throws(WhereClauseError) -> Numeric {
        if a.isFinite, b.isFinite, a.sign != 0, b.sign != 0 {
            if a.log10Magnitude + b.log10Magnitude > Double(maxIntegerDigits) + 1 { throw .numericOverflow }
            // Digits past maxScale are rounded away below.
            let digits = a.coefficientDigitsBound + b.coefficientDigitsBound - 1 - max(0, a.scale + b.scale - maxScale)
            if digits > maxDigits { throw .numericTooLarge(digits, limit: maxDigits) }
        }
        let product = a * b
        if product.isFinite && product.scale > maxScale { return try product.rounded(toScale: maxScale).checkedFormat() }
        return try product.checkedFormat()
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

    /// Weight (in base-10000 digits) and first base-10000 digit of a finite non-zero value,
    /// as PostgreSQL's internal representation has them.
    ///
    /// Read from the logarithm (the coefficient's top 64 bits), which decides unless the value
    /// lies within rounding of a digit boundary; only then is the coefficient converted, whose
    /// cost is quadratic in its digits (a 4,000-digit divisor once cost 48 ms of a 66 ms
    /// division in a debug build).
    var baseTenThousandLead: (weight: Int, digit: BigInt) {
        let logarithm = log10Magnitude
        let exponent = logarithm.rounded(.down)
        let weight = Int(exponent) >= 0 ? Int(exponent) / 4 : -((-Int(exponent) + 3) / 4)
        let lead = pow(10, logarithm - Double(4 * weight))
        let nearest = lead.rounded()
        if abs(logarithm - logarithm.rounded()) > 1e-9, abs(lead - nearest) > 1e-9 * max(1, lead), lead >= 1, lead < 10_000 {
            return (weight, BigInt(Int(lead.rounded(.down))))
        }
        return exactBaseTenThousandLead
    }

    /// ``baseTenThousandLead`` from the coefficient's decimal digits.
    var exactBaseTenThousandLead: (weight: Int, digit: BigInt) {
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
