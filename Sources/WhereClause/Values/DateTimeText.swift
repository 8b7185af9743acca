/// Text input and output of `date`, `time`, `timestamp` and `timestamptz`, with the session
/// settings Conduit assumes: `DateStyle = ISO`, `TimeZone = UTC`.
///
/// Representation: `date` is days since 2000-01-01; `time` is microseconds since midnight;
/// timestamps are microseconds since 2000-01-01 00:00 (UTC for `timestamptz`). Infinite values
/// use `Int64.max` / `Int64.min`.
///
/// Input accepts ISO 8601 forms (`2024-01-31`, `2024-01-31 12:00:00.5`, `2024-01-31T12:00Z`,
/// offsets `+02`, `+02:00`, `+0200`, ` BC`), `infinity`, `-infinity` and `epoch`; not
/// PostgreSQL's other styles (`Jan 31 2024`, `today`).
enum DateTimeText {
    static let infinity = Int64.max
    static let negativeInfinity = Int64.min

    struct Parsed {
        var days: Int64
        var microseconds: Int64
        var offsetSeconds: Int64?
    }

    /// Scans `YYYY-MM-DD[( |T)HH:MM[:SS[.f]]][zone][ BC]`.
    static func parseDateTime(_ text: String) -> Parsed? {
        var scanner = TextScanner(text.trimmingSQLWhitespace())
        guard let year = scanner.number(minDigits: 4, maxDigits: 7), scanner.take("-"),
            let month = scanner.number(minDigits: 1, maxDigits: 2), scanner.take("-"),
            let day = scanner.number(minDigits: 1, maxDigits: 2)
        else { return nil }
        var micros: Int64 = 0
        var offset: Int64?
        if scanner.take("T") || scanner.take("t") || (scanner.peekIsSpace && scanner.lookaheadDigit(1)) {
            scanner.skipSpaces()
            guard let time = scanTime(&scanner) else { return nil }
            micros = time
            scanner.skipSpaces()
            offset = scanZone(&scanner)
        }
        scanner.skipSpaces()
        var astronomicalYear = year
        if scanner.takeWord("bc") {
            astronomicalYear = 1 - year
        } else {
            _ = scanner.takeWord("ad")
        }
        scanner.skipSpaces()
        guard scanner.atEnd, year >= 1, (1...12).contains(month),
            day >= 1, day <= Calendar.daysInMonth(year: astronomicalYear, month: month)
        else { return nil }
        return Parsed(days: Calendar.days(year: astronomicalYear, month: month, day: day), microseconds: micros, offsetSeconds: offset)
    }

    /// `HH:MM[:SS[.ffffff]]`, rounding to microseconds; `24:00:00` allowed.
    static func scanTime(_ scanner: inout TextScanner) -> Int64? {
        guard let hour = scanner.number(minDigits: 1, maxDigits: 2), scanner.take(":"),
            let minute = scanner.number(minDigits: 1, maxDigits: 2)
        else { return nil }
        var second = 0
        var fraction: Int64 = 0
        if scanner.take(":") {
            guard let s = scanner.number(minDigits: 1, maxDigits: 2) else { return nil }
            second = s
            if scanner.take(".") { fraction = scanner.fractionMicroseconds() }
        }
        guard hour <= 24, minute < 60, second <= 60 else { return nil }
        let total =
            Int64(hour) * Calendar.microsecondsPerHour + Int64(minute) * Calendar.microsecondsPerMinute
            + Int64(second) * Calendar.microsecondsPerSecond + fraction
        guard total <= Calendar.microsecondsPerDay else { return nil }
        return total
    }

    private static func scanZone(_ scanner: inout TextScanner) -> Int64? {
        if scanner.take("Z") || scanner.take("z") || scanner.takeWord("utc") || scanner.takeWord("gmt") { return 0 }
        let negative: Bool
        if scanner.take("+") { negative = false } else if scanner.take("-") { negative = true } else { return nil }
        guard let first = scanner.number(minDigits: 1, maxDigits: 4) else { return nil }
        var hours = first
        var minutes = 0
        var extraSeconds = 0
        if first > 99 {
            hours = first / 100
            minutes = first % 100
        } else if scanner.take(":") {
            minutes = scanner.number(minDigits: 2, maxDigits: 2) ?? 0
            // Historical local-mean-time offsets print with seconds: `+00:09:21`.
            if scanner.take(":") { extraSeconds = scanner.number(minDigits: 2, maxDigits: 2) ?? 0 }
        }
        let seconds = Int64(hours * 3600 + minutes * 60 + extraSeconds)
        return negative ? -seconds : seconds
    }

    private static func special(_ text: String) -> Int64? {
        switch text.trimmingSQLWhitespace().lowercased() {
        case "infinity", "+infinity": infinity
        case "-infinity": negativeInfinity
        default: nil
        }
    }

    static func parseDate(_ text: String) -> Int64? {
        if let special = special(text) { return special }
        if text.trimmingSQLWhitespace().lowercased() == "epoch" { return Calendar.days(year: 1970, month: 1, day: 1) }
        guard let parsed = parseDateTime(text), Calendar.dateRange.contains(parsed.days) else { return nil }
        return parsed.days
    }

    static func parseTimestamp(_ text: String, withTimeZone: Bool) -> Int64? {
        if let special = special(text) { return special }
        if text.trimmingSQLWhitespace().lowercased() == "epoch" {
            return Calendar.days(year: 1970, month: 1, day: 1) * Calendar.microsecondsPerDay
        }
        guard let parsed = parseDateTime(text) else { return nil }
        let (dayMicros, o1) = parsed.days.multipliedReportingOverflow(by: Calendar.microsecondsPerDay)
        guard !o1 else { return nil }
        var (value, o2) = dayMicros.addingReportingOverflow(parsed.microseconds)
        var o3 = false
        if withTimeZone, let offset = parsed.offsetSeconds {
            (value, o3) = value.subtractingReportingOverflow(offset * Calendar.microsecondsPerSecond)
        }
        guard !o2, !o3, Calendar.timestampRange.contains(value) else { return nil }
        return value
    }

    /// `HH:MM[:SS[.f]]`; like PostgreSQL's `time_in`, a full timestamp is accepted too and its
    /// date and zone are ignored.
    static func parseTime(_ text: String) -> Int64? {
        var scanner = TextScanner(text.trimmingSQLWhitespace())
        if let time = scanTime(&scanner) {
            scanner.skipSpaces()
            if scanner.atEnd { return time }
        }
        return parseDateTime(text)?.microseconds
    }

    static func formatDate(_ days: Int64) -> String {
        if days == infinity { return "infinity" }
        if days == negativeInfinity { return "-infinity" }
        let (year, month, day) = Calendar.civil(days: days)
        let body = "\(Calendar.pad(year > 0 ? year : 1 - year, 4))-\(Calendar.pad(month, 2))-\(Calendar.pad(day, 2))"
        return year > 0 ? body : body + " BC"
    }

    static func formatTime(_ micros: Int64) -> String {
        let hours = micros / Calendar.microsecondsPerHour
        let minutes = (micros / Calendar.microsecondsPerMinute) % 60
        let seconds = (micros / Calendar.microsecondsPerSecond) % 60
        let fraction = micros % Calendar.microsecondsPerSecond
        return "\(Calendar.pad(Int(hours), 2)):\(Calendar.pad(Int(minutes), 2)):\(Calendar.pad(Int(seconds), 2))"
            + fractionText(fraction)
    }

    /// `.5`, `.000123`: microseconds with trailing zeros removed; empty for zero.
    static func fractionText(_ micros: Int64) -> String {
        guard micros != 0 else { return "" }
        var digits = Calendar.pad(Int(micros), 6)
        while digits.hasSuffix("0") { digits.removeLast() }
        return "." + digits
    }

    static func formatTimestamp(_ micros: Int64, withTimeZone: Bool) -> String {
        if micros == infinity { return "infinity" }
        if micros == negativeInfinity { return "-infinity" }
        let (days, time) = Calendar.floorDivide(micros, Calendar.microsecondsPerDay)
        let (year, month, day) = Calendar.civil(days: days)
        var text =
            "\(Calendar.pad(year > 0 ? year : 1 - year, 4))-\(Calendar.pad(month, 2))-\(Calendar.pad(day, 2)) "
            + formatTime(time)
        if withTimeZone { text += "+00" }
        return year > 0 ? text : text + " BC"
    }
}
