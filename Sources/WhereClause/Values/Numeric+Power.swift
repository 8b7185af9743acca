import BigInt

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension Numeric {
    /// Exact powers up to this many coefficient digits are computed exactly (then rounded);
    /// larger ones with PostgreSQL's bounded-precision squaring, so cost never grows with
    /// the exponent's value.
    static let exactPowerDigits = 1_000

    /// `numeric ^ numeric` for a finite base and an integer exponent that fits in int4, as
    /// PostgreSQL's `power_var_int`: the power rounded (half away from zero) to
    /// `max(16, base scale)` digits; negative exponents divide 1 by the power at that scale.
    /// Returns nil for other inputs (the caller falls back to double precision).
    ///
    /// The result's size is estimated from `exponent × log10(|base|)` before anything is
    /// computed: above 10^131072 it is `value overflows numeric format`, below the result
    /// scale it is zero — so `0.5 ^ 2147483647` and `10 ^ 2147483647` answer at once.
    static func integerPower(_ base: Numeric, _ exponent: Numeric, maxDigits: Int = .max) throws(WhereClauseError)
        -> Numeric?
    {
        guard base.isFinite, exponent.isFinite, exponent.scale <= maxScale else { return nil }
        let divisor = powerOfTen(exponent.scale)
        let (whole, fraction) = exponent.coefficient.quotientAndRemainder(dividingBy: divisor)
        guard fraction == 0, let power = Int32(exactly: whole) else { return nil }
        let rscale = min(max(16, base.scale), 1000)
        if power == 0 { return Numeric(coefficient: powerOfTen(rscale), scale: rscale) }
        if base.sign == 0 {
            if power < 0 { throw .evaluation("zero raised to a negative power is undefined") }
            return Numeric(coefficient: 0, scale: rscale)
        }
        let weight = Double(power) * base.log10Magnitude
        // The estimate is good to ~1e-10 digits, so only a result within a hair of 10^131072
        // is computed before its size is known.
        if weight > Double(maxIntegerDigits) + 1e-6 { throw .numericOverflow }
        if weight + 1 < -Double(rscale) { return Numeric(coefficient: 0, scale: rscale) }
        let digits = max(0, Int(weight)) + 1 + rscale
        if digits > maxDigits { throw .numericTooLarge(digits, limit: maxDigits) }
        let count = Int(power.magnitude)
        let magnitude: Numeric
        if Double(count) * Double(base.coefficientDigitsBound) <= Double(exactPowerDigits) {
            magnitude = Numeric(coefficient: base.coefficient.power(count), scale: base.scale * count)
        } else {
            // PostgreSQL's working precision: the result's significant digits at rscale, plus
            // guard digits for the rounding error of ~log(exponent) multiplications.
            let significant = 1 + rscale + Int(weight) + Int(log(Double(count))) + 8
            guard let approximate = approximatePower(base, count, significant: significant) else {
                if power > 0 { throw .numericOverflow }
                return Numeric(coefficient: 0, scale: rscale)
            }
            magnitude = approximate
        }
        if power > 0 { return try magnitude.rounded(toScale: rscale).checkedFormat() }
        // 1 / magnitude at rscale: (10^(rscale + scale)) / coefficient, rounded.
        let numerator = powerOfTen(rscale + magnitude.scale)
        return try Numeric(coefficient: divideRounded(numerator, magnitude.coefficient), scale: rscale).checkedFormat()
    }

    /// `base ^ count` by repeated squaring, each product rounded to `significant` significant
    /// digits (never below the exact scale): `power_var_int`'s loop. Nil when an intermediate
    /// passes the format: an overflow, or zero for a negative exponent.
    private static func approximatePower(_ base: Numeric, _ count: Int, significant: Int) -> Numeric? {
        func product(_ a: Numeric, _ b: Numeric) -> Numeric {
            let exact = a * b
            guard exact.sign != 0 else { return exact }
            let weight = Int(a.log10Magnitude.rounded(.down) + b.log10Magnitude.rounded(.down))
            return exact.rounded(toScale: max(0, min(significant - weight, exact.scale)))
        }
        var square = base
        var result = count & 1 == 1 ? base : Numeric(1)
        var mask = count >> 1
        while mask > 0 {
            square = product(square, square)
            if mask & 1 == 1 { result = product(square, result) }
            if square.integerDigits > maxIntegerDigits || result.integerDigits > maxIntegerDigits { return nil }
            mask >>= 1
        }
        return result
    }
}
