import BigInt

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// PostgreSQL's numeric format limits, and cheap size estimates that let an operation fail
/// with `value overflows numeric format` before it computes an oversized result.
extension Numeric {
    /// Digits before the decimal point: PostgreSQL's weight is an int16 count of base-10000
    /// digits, so values must stay below 10^131072 (`NUMERIC_WEIGHT_MAX`).
    static let maxIntegerDigits = 131_072
    /// Digits after the decimal point (`NUMERIC_DSCALE_MAX`).
    static let maxScale = 16_383

    /// An upper bound of the coefficient's decimal digits, from its bit width (no division).
    var coefficientDigitsBound: Int {
        Int(Double(coefficient.magnitude.bitWidth) * 0.301_029_995_663_981_2) + 1
    }

    /// An upper bound of the UTF-8 length of ``text``.
    var textBytesBound: Int { isFinite ? max(coefficientDigitsBound, scale + 1) + 2 : 9 }

    /// `log10(|self|)` to about 15 significant digits, from the coefficient's top 64 bits;
    /// `-infinity` for zero. Only for finite values.
    var log10Magnitude: Double {
        let magnitude = coefficient.magnitude
        let shift = max(0, magnitude.bitWidth - 64)
        let top = Double(UInt64(magnitude >> shift))
        return log10(top) + Double(shift) * 0.301_029_995_663_981_2 - Double(scale)
    }

    /// The number of digits before the decimal point (0 for |self| < 1), for finite values.
    /// Exact: the logarithm decides unless the value is within rounding of a power of ten.
    var integerDigits: Int {
        guard coefficientDigitsBound - scale > 0, coefficient.signum() != 0 else { return 0 }
        let logarithm = log10Magnitude
        let nearest = logarithm.rounded()
        if abs(logarithm - nearest) > 1e-9 { return max(0, Int(logarithm.rounded(.down)) + 1) }
        let digits = Int(nearest) + 1
        if digits <= 0 { return 0 }
        return BigInt(coefficient.magnitude) >= Numeric.powerOfTen(digits - 1 + scale) ? digits : digits - 1
    }

    /// The value itself, or ``WhereClauseLimits/maxNumericDigits``' error when its
    /// coefficient may have more than `limit` digits.
    func checkedDigits(_ limit: Int) throws(WhereClauseError) -> Numeric {
        let digits = isFinite ? coefficientDigitsBound : 0
        guard digits <= limit else { throw .numericTooLarge(digits, limit: limit) }
        return self
    }

    /// The value itself when PostgreSQL can store it; `value overflows numeric format` when it
    /// has more than ``maxIntegerDigits`` digits before or ``maxScale`` after the point.
    func checkedFormat() throws(WhereClauseError) -> Numeric {
        guard isFinite else { return self }
        guard scale <= Numeric.maxScale,
            coefficientDigitsBound - scale <= Numeric.maxIntegerDigits
                || integerDigits <= Numeric.maxIntegerDigits
        else { throw .numericOverflow }
        return self
    }
}
