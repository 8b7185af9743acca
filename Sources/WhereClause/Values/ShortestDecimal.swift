import BigInt

/// The shortest decimal that identifies a float, exactly as PostgreSQL's Ryu-based
/// `float8out`/`float4out` choose it (PostgreSQL builds Ryu without `STRICTLY_SHORTEST`, so the
/// rounding interval is open: a decimal lying exactly halfway to a neighbouring float is never
/// used, unlike Swift's `description`, which accepts it for even mantissas).
///
/// Computed with exact big-integer arithmetic; used for text output only, not on the
/// comparison hot path.
enum ShortestDecimal {
    /// Significant digits (no trailing zeros) and the decimal exponent of the first digit.
    struct Digits: Equatable {
        var digits: String
        var exponent: Int
    }

    /// Fast path: Swift's shortest representation is PostgreSQL's unless it lies exactly on
    /// the boundary between two floats. A decimal `a × 10^k` can only equal such a (dyadic)
    /// midpoint if it is an integer with the float's spacing ≥ 2 and a small `k`, or if `5^-k`
    /// divides `a`; only then is the exact computation run. `mantissaWidth` is 53 (double) or
    /// 24 (float).
    static func fastDigits(_ description: String, magnitude: Double, mantissaWidth: Int) -> Digits? {
        var text = Substring(description)
        if text.hasPrefix("-") { text = text.dropFirst() }
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            guard let parsed = Int(text[text.index(after: e)...]) else { return nil }
            exponent = parsed
            text = text[..<e]
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        var digits = String(parts[0]) + (parts.count > 1 ? parts[1] : "")
        var pointPosition = parts[0].count + exponent
        while digits.hasPrefix("0") && digits.count > 1 {
            digits.removeFirst()
            pointPosition -= 1
        }
        while digits.hasSuffix("0") && digits.count > 1 { digits.removeLast() }
        guard digits != "0", digits.count <= 17, let a = UInt64(digits) else { return nil }
        let k = pointPosition - digits.count
        if k >= 0 {
            // An integer midpoint is (odd < 2^(width+2)) × 2^j, so 5^k must divide that odd
            // number: impossible once 5^k exceeds it.
            let maximumK = mantissaWidth == 53 ? 23 : 11
            if k <= maximumK && magnitude >= Double(sign: .plus, exponent: mantissaWidth, significand: 1) { return nil }
        } else if -k <= 27 {
            var five: UInt64 = 1
            for _ in 0 ..< -k { five *= 5 }
            if a % five == 0 { return nil }
        }
        return Digits(digits: digits, exponent: pointPosition - 1)
    }

    static func digits(of value: Double) -> Digits {
        let bits = value.bitPattern
        let mantissaBits = bits & ((1 << 52) - 1)
        let exponentBits = Int((bits >> 52) & 0x7FF)
        return digits(mantissaBits: mantissaBits, exponentBits: exponentBits, mantissaWidth: 52, bias: 1023, maxDigits: 17)
    }

    static func digits(of value: Float) -> Digits {
        let bits = UInt64(value.bitPattern)
        let mantissaBits = bits & ((1 << 23) - 1)
        let exponentBits = Int((bits >> 23) & 0xFF)
        return digits(mantissaBits: mantissaBits, exponentBits: exponentBits, mantissaWidth: 23, bias: 127, maxDigits: 9)
    }

    /// For a positive finite non-zero float given by its IEEE fields (a zero mantissa with a
    /// zero exponent would underflow the interval; callers handle zero first).
    private static func digits(mantissaBits: UInt64, exponentBits: Int, mantissaWidth: Int, bias: Int, maxDigits: Int) -> Digits {
        let m2: UInt64
        let e2: Int
        if exponentBits == 0 {
            m2 = mantissaBits
            e2 = 1 - bias - mantissaWidth - 2
        } else {
            m2 = (1 << UInt64(mantissaWidth)) | mantissaBits
            e2 = exponentBits - bias - mantissaWidth - 2
        }
        // The value and the open interval of decimals that read back as it, in units of 2^e2.
        guard m2 > 0 else { return Digits(digits: "0", exponent: 0) }
        let lowerGap: UInt64 = mantissaBits != 0 || exponentBits <= 1 ? 2 : 1
        var value = BigInt(4 * m2)
        var lower = BigInt(4 * m2 - lowerGap)
        var upper = BigInt(4 * m2 + 2)
        var scale = 0
        if e2 >= 0 {
            value <<= e2
            lower <<= e2
            upper <<= e2
        } else {
            let five = BigInt(5).power(-e2)
            value *= five
            lower *= five
            upper *= five
            scale = -e2
        }
        let valueDigits = value.description
        let length = valueDigits.count
        for n in 1...maxDigits {
            let dropped = length - n
            if dropped <= 0 { return make(valueDigits, dropped: 0, length: length, scale: scale) }
            let unit = BigInt(10).power(dropped)
            var (quotient, remainder) = value.quotientAndRemainder(dividingBy: unit)
            let half = unit / 2
            if remainder > half || (remainder == half && quotient % 2 == 1) { quotient += 1 }
            for candidate in [quotient, quotient + 1, quotient - 1] {
                let scaled = candidate * unit
                if scaled > lower && scaled < upper {
                    return make(candidate.description, dropped: dropped, length: length, scale: scale)
                }
            }
        }
        return make(valueDigits, dropped: 0, length: length, scale: scale)
    }

    private static func make(_ kept: String, dropped: Int, length: Int, scale: Int) -> Digits {
        var digits = Substring(kept)
        let exponent = digits.count - 1 + dropped - scale
        while digits.count > 1 && digits.hasSuffix("0") { digits = digits.dropLast() }
        return Digits(digits: String(digits), exponent: exponent)
    }
}
