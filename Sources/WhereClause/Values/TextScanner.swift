/// A tiny cursor over Unicode scalars for the date/time and interval input parsers.
struct TextScanner {
    private let scalars: [Unicode.Scalar]
    private(set) var position = 0

    init(_ text: String) {
        scalars = Array(text.unicodeScalars)
    }

    var atEnd: Bool { position >= scalars.count }
    var current: Unicode.Scalar? { position < scalars.count ? scalars[position] : nil }
    var peekIsSpace: Bool { current == " " }

    func lookaheadDigit(_ offset: Int) -> Bool {
        let index = position + offset
        return index < scalars.count && scalars[index] >= "0" && scalars[index] <= "9"
    }

    mutating func skipSpaces() {
        while let c = current, c == " " || c == "\t" { position += 1 }
    }

    mutating func take(_ c: Unicode.Scalar) -> Bool {
        guard current == c else { return false }
        position += 1
        return true
    }

    /// Consumes `word` case-insensitively when it is followed by a non-letter.
    mutating func takeWord(_ word: String) -> Bool {
        let letters = Array(word.unicodeScalars)
        guard position + letters.count <= scalars.count else { return false }
        for (offset, letter) in letters.enumerated() {
            let c = scalars[position + offset]
            let lowered = (c >= "A" && c <= "Z") ? Unicode.Scalar(c.value + 32) ?? c : c
            if lowered != letter { return false }
        }
        let end = position + letters.count
        if end < scalars.count, scalars[end].properties.isAlphabetic { return false }
        position = end
        return true
    }

    /// Reads a letters-only word, lower-cased.
    mutating func word() -> String {
        var result = String.UnicodeScalarView()
        while let c = current, c.properties.isAlphabetic {
            result.append((c >= "A" && c <= "Z") ? Unicode.Scalar(c.value + 32) ?? c : c)
            position += 1
        }
        return String(result)
    }

    /// Reads between `minDigits` and `maxDigits` decimal digits.
    mutating func number(minDigits: Int, maxDigits: Int) -> Int? {
        var value = 0
        var count = 0
        while let c = current, c >= "0" && c <= "9", count < maxDigits {
            value = value * 10 + Int(c.value - 48)
            count += 1
            position += 1
        }
        if count >= minDigits, let c = current, c >= "0" && c <= "9" { return nil }
        return count >= minDigits ? value : nil
    }

    /// Reads the digits after a decimal point as microseconds, rounding half up at the
    /// seventh digit like PostgreSQL's `rint` of the parsed fraction.
    mutating func fractionMicroseconds() -> Int64 {
        var micros: Int64 = 0
        var count = 0
        var roundUp = false
        while let c = current, c >= "0" && c <= "9" {
            if count < 6 {
                micros = micros * 10 + Int64(c.value - 48)
            } else if count == 6 {
                roundUp = c >= "5"
            }
            count += 1
            position += 1
        }
        while count < 6 {
            micros *= 10
            count += 1
        }
        return roundUp ? micros + 1 : micros
    }

    /// Reads an optionally signed decimal number such as `-1.5`; returns its text.
    mutating func decimal() -> String? {
        var text = String.UnicodeScalarView()
        if let c = current, c == "+" || c == "-" {
            text.append(c)
            position += 1
        }
        var digits = 0
        while let c = current, (c >= "0" && c <= "9") || c == "." {
            text.append(c)
            if c != "." { digits += 1 }
            position += 1
        }
        return digits > 0 ? String(text) : nil
    }
}
