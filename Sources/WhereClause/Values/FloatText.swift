/// PostgreSQL's text input and output for `float4` and `float8`.
///
/// Output matches PostgreSQL ≥ 12 with the default `extra_float_digits = 1`: the shortest
/// digits that round-trip, in fixed notation when the decimal exponent is in
/// `-4 ..< 15` (float8) or `-4 ..< 6` (float4), otherwise as `1.5e+20` with at least two
/// exponent digits.
enum FloatText {
    /// Parses float input like `float8in`: surrounding whitespace, `NaN`, `[+-]Infinity`,
    /// `[+-]inf`; nil when malformed or out of range (overflow and underflow to zero).
    static func parseDouble(_ text: String) -> Double? {
        let trimmed = text.trimmingSQLWhitespace()
        if let special = special(trimmed) { return special }
        guard isDecimalSyntax(trimmed), let value = Double(trimmed) else { return nil }
        if value.isInfinite || (value == 0 && hasNonZeroDigit(trimmed)) { return nil }
        return value
    }

    /// Parses float4 input like `float4in`.
    static func parseFloat(_ text: String) -> Float? {
        let trimmed = text.trimmingSQLWhitespace()
        if let special = special(trimmed) { return Float(special) }
        guard isDecimalSyntax(trimmed), let value = Float(trimmed) else { return nil }
        if value.isInfinite || (value == 0 && hasNonZeroDigit(trimmed)) { return nil }
        return value
    }

    private static func special(_ text: String) -> Double? {
        switch text.lowercased() {
        case "nan": .nan
        case "infinity", "+infinity", "inf", "+inf": .infinity
        case "-infinity", "-inf": -.infinity
        default: nil
        }
    }

    /// Digits, one optional point, optional exponent, optional leading sign (no hex, no
    /// `nan(...)`, which Swift's parser would accept but PostgreSQL's strtod use would not
    /// produce here).
    private static func isDecimalSyntax(_ text: String) -> Bool {
        var sawDigit = false
        var sawPoint = false
        var sawExponent = false
        var previous: Unicode.Scalar = " "
        for (offset, c) in text.unicodeScalars.enumerated() {
            switch c {
            case "0"..."9": sawDigit = true
            case "+", "-": if !(offset == 0 || previous == "e" || previous == "E") { return false }
            case ".":
                if sawPoint || sawExponent { return false }
                sawPoint = true
            case "e", "E":
                if sawExponent || !sawDigit { return false }
                sawExponent = true
            default: return false
            }
            previous = c
        }
        return sawDigit && previous != "e" && previous != "E" && previous != "+" && previous != "-"
    }

    private static func hasNonZeroDigit(_ text: String) -> Bool {
        for c in text.unicodeScalars {
            if c == "e" || c == "E" { return false }
            if c >= "1" && c <= "9" { return true }
        }
        return false
    }

    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
        if value == 0 { return value.sign == .minus ? "-0" : "0" }
        let digits =
            ShortestDecimal.fastDigits(value.description, magnitude: abs(value), mantissaWidth: 53)
            ?? ShortestDecimal.digits(of: abs(value))
        return layout(digits, negative: value.sign == .minus, fixedLimit: 15)
    }

    static func format(_ value: Float) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
        if value == 0 { return value.sign == .minus ? "-0" : "0" }
        let digits =
            ShortestDecimal.fastDigits(value.description, magnitude: Double(abs(value)), mantissaWidth: 24)
            ?? ShortestDecimal.digits(of: abs(value))
        return layout(digits, negative: value.sign == .minus, fixedLimit: 6)
    }

    /// Lays out shortest digits the way PostgreSQL's Ryu `to_chars` does: fixed notation when
    /// the exponent is in `-4 ..< fixedLimit`, otherwise `d.ddde±XX`.
    private static func layout(_ shortest: ShortestDecimal.Digits, negative: Bool, fixedLimit: Int) -> String {
        let sign = negative ? "-" : ""
        let digits = shortest.digits
        let decimalExponent = shortest.exponent
        let pointPosition = decimalExponent + 1
        if decimalExponent >= -4 && decimalExponent < fixedLimit {
            if pointPosition <= 0 {
                return sign + "0." + String(repeating: "0", count: -pointPosition) + digits
            }
            if pointPosition >= digits.count {
                return sign + digits + String(repeating: "0", count: pointPosition - digits.count)
            }
            let split = digits.index(digits.startIndex, offsetBy: pointPosition)
            return sign + digits[..<split] + "." + digits[split...]
        }
        var mantissa = String(digits.prefix(1))
        if digits.count > 1 { mantissa += "." + digits.dropFirst() }
        let exponentDigits = String(abs(decimalExponent))
        let paddedExponent = exponentDigits.count < 2 ? "0" + exponentDigits : exponentDigits
        return sign + mantissa + "e" + (decimalExponent < 0 ? "-" : "+") + paddedExponent
    }
}

/// PostgreSQL's integer input (`int2in`/`int4in`/`int8in`): optional whitespace and sign,
/// decimal digits only.
enum IntegerText {
    static func parse(_ text: String, min: Int64, max: Int64) -> Int64? {
        // Hot path for row values: plain ASCII digits with an optional sign, read from the
        // contiguous UTF-8 storage without creating any intermediate strings.
        if let fast = text.utf8.withContiguousStorageIfAvailable({ parseDigits($0) }), let value = fast {
            return value >= min && value <= max ? value : nil
        }
        let trimmed = text.trimmingSQLWhitespace()
        var scalars = trimmed.unicodeScalars[...]
        var negative = false
        if let first = scalars.first, first == "+" || first == "-" {
            negative = first == "-"
            scalars = scalars.dropFirst()
        }
        guard !scalars.isEmpty else { return nil }
        var value: Int64 = 0
        for c in scalars {
            guard c >= "0" && c <= "9" else { return nil }
            let digit = Int64(c.value - 48)
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) = negative ? times.subtractingReportingOverflow(digit) : times.addingReportingOverflow(digit)
            if o1 || o2 { return nil }
            value = next
        }
        return value >= min && value <= max ? value : nil
    }

    /// `[+-]digits` with no whitespace; nil (meaning "take the general path") otherwise or on
    /// overflow.
    private static func parseDigits(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        var index = 0
        var negative = false
        if index < bytes.count, bytes[index] == 0x2D || bytes[index] == 0x2B {
            negative = bytes[index] == 0x2D
            index += 1
        }
        guard index < bytes.count else { return nil }
        var value: Int64 = 0
        while index < bytes.count {
            let digit = bytes[index] &- 0x30
            guard digit < 10 else { return nil }
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) = negative ? times.subtractingReportingOverflow(Int64(digit)) : times.addingReportingOverflow(Int64(digit))
            if o1 || o2 { return nil }
            value = next
            index += 1
        }
        return value
    }
}
