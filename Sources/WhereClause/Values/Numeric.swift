import BigInt

/// An exact PostgreSQL `numeric`: `coefficient × 10^-scale`, plus `NaN` and `±Infinity`.
///
/// `scale` is PostgreSQL's display scale (`dscale`): the number of digits printed after the
/// decimal point, so `1.50` keeps scale 2 and prints as `1.50`. Arithmetic follows
/// PostgreSQL's result-scale rules (sum: max of scales; product: sum of scales; quotient:
/// `select_div_scale`), so results print like PostgreSQL's.
struct Numeric: Hashable, Sendable {
    /// The special values of numeric.
    enum Special: Hashable, Sendable { case finite, nan, positiveInfinity, negativeInfinity }

    var special: Special
    var coefficient: BigInt
    var scale: Int

    init(coefficient: BigInt, scale: Int) {
        self.special = .finite
        self.coefficient = coefficient
        self.scale = scale
    }

    init(special: Special) {
        self.special = special
        self.coefficient = 0
        self.scale = 0
    }

    init(_ value: Int64) {
        self.init(coefficient: BigInt(value), scale: 0)
    }

    static let nan = Numeric(special: .nan)
    static let infinity = Numeric(special: .positiveInfinity)
    static let negativeInfinity = Numeric(special: .negativeInfinity)

    /// Largest accepted decimal exponent in input, so hostile input cannot allocate huge numbers.
    static let maxExponent = 1000

    static func powerOfTen(_ n: Int) -> BigInt { BigInt(10).power(n) }

    var isNaN: Bool { special == .nan }
    var isFinite: Bool { special == .finite }

    /// `-1`, `0` or `1`; NaN counts as 0.
    var sign: Int {
        switch special {
        case .nan: 0
        case .positiveInfinity: 1
        case .negativeInfinity: -1
        case .finite: coefficient.signum() == 0 ? 0 : (coefficient.signum() > 0 ? 1 : -1)
        }
    }

    /// Parses PostgreSQL's numeric input syntax (`numeric_in`): optional sign, digits with an
    /// optional point and exponent, surrounding whitespace, `NaN`, `Infinity`, `inf`.
    init?(text: String) {
        let trimmed = text.trimmingSQLWhitespace()
        switch trimmed.lowercased() {
        case "nan":
            self = .nan
            return
        case "infinity", "+infinity", "inf", "+inf":
            self = .infinity
            return
        case "-infinity", "-inf":
            self = .negativeInfinity
            return
        default: break
        }
        var digits = ""
        var fractionDigits = 0
        var seenPoint = false
        var seenDigit = false
        var negative = false
        var exponent = 0
        var scalars = Substring(trimmed).unicodeScalars[...]
        if let first = scalars.first, first == "+" || first == "-" {
            negative = first == "-"
            scalars = scalars.dropFirst()
        }
        while let c = scalars.first {
            if c >= "0" && c <= "9" {
                digits.unicodeScalars.append(c)
                seenDigit = true
                if seenPoint { fractionDigits += 1 }
            } else if c == ".", !seenPoint {
                seenPoint = true
            } else {
                break
            }
            scalars = scalars.dropFirst()
        }
        guard seenDigit else { return nil }
        if let e = scalars.first, e == "e" || e == "E" {
            scalars = scalars.dropFirst()
            var exponentText = ""
            if let s = scalars.first, s == "+" || s == "-" {
                exponentText.unicodeScalars.append(s)
                scalars = scalars.dropFirst()
            }
            while let c = scalars.first, c >= "0" && c <= "9" {
                exponentText.unicodeScalars.append(c)
                scalars = scalars.dropFirst()
            }
            guard let value = Int(exponentText), abs(value) <= Numeric.maxExponent else { return nil }
            exponent = value
        }
        guard scalars.isEmpty, let magnitude = BigInt(digits) else { return nil }
        var coefficient = negative ? -magnitude : magnitude
        var scale = fractionDigits - exponent
        if scale < 0 {
            coefficient *= Numeric.powerOfTen(-scale)
            scale = 0
        }
        self.init(coefficient: coefficient, scale: scale)
    }

    /// PostgreSQL's `numeric_out` text.
    var text: String {
        switch special {
        case .nan: return "NaN"
        case .positiveInfinity: return "Infinity"
        case .negativeInfinity: return "-Infinity"
        case .finite: break
        }
        let negative = coefficient.signum() < 0
        var digits = coefficient.magnitude.description
        guard scale > 0 else { return (negative ? "-" : "") + digits }
        if digits.count <= scale {
            digits = String(repeating: "0", count: scale - digits.count + 1) + digits
        }
        let split = digits.index(digits.endIndex, offsetBy: -scale)
        return (negative ? "-" : "") + digits[..<split] + "." + digits[split...]
    }

    /// The coefficient rescaled to `target` (≥ `scale`).
    func coefficient(atScale target: Int) -> BigInt {
        target == scale ? coefficient : coefficient * Numeric.powerOfTen(target - scale)
    }

    /// PostgreSQL ordering: `-Infinity` < finite < `Infinity` < `NaN`; NaN equals NaN.
    static func compare(_ a: Numeric, _ b: Numeric) -> Int {
        func rank(_ n: Numeric) -> Int {
            switch n.special {
            case .negativeInfinity: 0
            case .finite: 1
            case .positiveInfinity: 2
            case .nan: 3
            }
        }
        let ra = rank(a)
        let rb = rank(b)
        if ra != rb { return ra < rb ? -1 : 1 }
        guard ra == 1 else { return 0 }
        let s = max(a.scale, b.scale)
        let x = a.coefficient(atScale: s)
        let y = b.coefficient(atScale: s)
        return x == y ? 0 : (x < y ? -1 : 1)
    }

    /// Rounds half away from zero to `target` fractional digits (PostgreSQL's `round_var`).
    func rounded(toScale target: Int) -> Numeric {
        guard isFinite, target < scale else {
            guard isFinite else { return self }
            return Numeric(coefficient: coefficient(atScale: target), scale: target)
        }
        let divisor = Numeric.powerOfTen(scale - target)
        return Numeric(coefficient: Numeric.divideRounded(coefficient, divisor), scale: target)
    }

    /// `a / b` rounded half away from zero (b ≠ 0).
    static func divideRounded(_ a: BigInt, _ b: BigInt) -> BigInt {
        let (q, r) = a.quotientAndRemainder(dividingBy: b)
        if r.magnitude * 2 >= b.magnitude {
            return (a.signum() < 0) != (b.signum() < 0) ? q - 1 : q + 1
        }
        return q
    }

    /// The value as an `Int64` after rounding half away from zero; nil when out of range or
    /// not finite.
    var roundedInt64: Int64? {
        guard isFinite else { return nil }
        return Int64(exactly: rounded(toScale: 0).coefficient)
    }

    /// Conversion through the text form, as PostgreSQL's `numeric_float8` does.
    var doubleValue: Double {
        switch special {
        case .nan: .nan
        case .positiveInfinity: .infinity
        case .negativeInfinity: -.infinity
        case .finite: Double(text) ?? (coefficient.signum() < 0 ? -.infinity : .infinity)
        }
    }

    /// `float8_numeric`/`float4_numeric`: the value printed with `significantDigits` digits
    /// (`%.15g` / `%.6g`), then parsed.
    init(_ value: Double, significantDigits: Int) {
        if value.isNaN {
            self = .nan
            return
        }
        if value.isInfinite {
            self = value < 0 ? .negativeInfinity : .infinity
            return
        }
        let formatted = String(cString: Numeric.formatG(value, digits: significantDigits))
        self = Numeric(text: formatted) ?? Numeric(0)
    }

    private static func formatG(_ value: Double, digits: Int) -> [CChar] {
        var buffer = [CChar](repeating: 0, count: 64)
        _ = withVaList([digits, value]) { vsnprintf(&buffer, buffer.count, "%.*g", $0) }
        return buffer
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension String {
    /// Trims the whitespace PostgreSQL's input functions skip (`isspace` in the C locale).
    func trimmingSQLWhitespace() -> String {
        let scalars = unicodeScalars
        func isSpace(_ c: Unicode.Scalar) -> Bool {
            c == " " || c == "\t" || c == "\n" || c == "\r" || c == "\u{0B}" || c == "\u{0C}"
        }
        guard let first = scalars.firstIndex(where: { !isSpace($0) }) else { return "" }
        guard let last = scalars.lastIndex(where: { !isSpace($0) }) else { return "" }
        if first == scalars.startIndex && scalars.index(after: last) == scalars.endIndex { return self }
        return String(scalars[first...last])
    }
}
