#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Interval input: PostgreSQL's verbose style (`1 year 2 mons 3 days 04:05:06`, `@ 1 day ago`,
/// units `us ms s m h d w mon y decade century millennium` with plurals and abbreviations, a
/// bare number meaning seconds) and ISO 8601 designators (`P1Y2M3DT4H5M6S`, `P1W`, `-P1D`
/// is not accepted, `P-1D` is). Fractional units cascade down as in PostgreSQL 15
/// (`1.5 days` is 1 day 12 hours; `1.5 years` is 1 year 6 months).
enum IntervalText {
    private struct Accumulator {
        var months: Int64 = 0
        var days: Int64 = 0
        var micros: Int64 = 0
        var valid = true

        mutating func addMicros(whole: Int64, fraction: Double, scale: Int64) {
            let (product, o1) = whole.multipliedReportingOverflow(by: scale)
            let (sum, o2) = micros.addingReportingOverflow(product)
            valid = valid && !o1 && !o2
            micros = sum
            addFractionMicros(fraction, scale: scale)
        }

        mutating func addFractionMicros(_ fraction: Double, scale: Int64) {
            guard fraction != 0 else { return }
            let scaled = fraction * Double(scale)
            let whole = Int64(scaled)
            let rounded = whole + Int64((scaled - Double(whole)).rounded(.toNearestOrEven))
            let (sum, overflow) = micros.addingReportingOverflow(rounded)
            valid = valid && !overflow
            micros = sum
        }

        mutating func addDays(whole: Int64, fraction: Double, scale: Int64) {
            add(\.days, whole * scale)
            guard fraction != 0 else { return }
            let scaled = fraction * Double(scale)
            let extra = Int64(scaled)
            add(\.days, extra)
            addFractionMicros(scaled - Double(extra), scale: Calendar.microsecondsPerDay)
        }

        /// Adds with overflow detection; overflow makes the whole input invalid.
        mutating func add(_ field: WritableKeyPath<Accumulator, Int64>, _ amount: Int64) {
            let (sum, overflow) = self[keyPath: field].addingReportingOverflow(amount)
            valid = valid && !overflow
            self[keyPath: field] = sum
        }

        mutating func addMonths(whole: Int64, fraction: Double) {
            add(\.months, whole)
            guard fraction != 0 else { return }
            let scaled = fraction * 30
            let extra = Int64(scaled)
            add(\.days, extra)
            addFractionMicros(scaled - Double(extra), scale: Calendar.microsecondsPerDay)
        }

        mutating func addYears(whole: Int64, fraction: Double, scale: Int64) {
            let (product, overflow) = whole.multipliedReportingOverflow(by: scale * 12)
            valid = valid && !overflow
            add(\.months, product)
            add(\.months, Int64((fraction * Double(scale) * 12).rounded(.toNearestOrEven)))
        }

        mutating func add(number: String, unit: String) -> Bool {
            guard let value = Double(number), value.isFinite, abs(value) < 1e15 else { return false }
            let whole = Int64(value)
            let fraction = value - Double(whole)
            switch unit {
            case "us", "usec", "usecs", "useconds", "microsecond", "microseconds": addMicros(whole: whole, fraction: fraction, scale: 1)
            case "ms", "msec", "msecs", "mseconds", "millisecond", "milliseconds": addMicros(whole: whole, fraction: fraction, scale: 1000)
            case "", "s", "sec", "secs", "second", "seconds":
                addMicros(whole: whole, fraction: fraction, scale: Calendar.microsecondsPerSecond)
            case "m", "min", "mins", "minute", "minutes": addMicros(whole: whole, fraction: fraction, scale: Calendar.microsecondsPerMinute)
            case "h", "hr", "hrs", "hour", "hours": addMicros(whole: whole, fraction: fraction, scale: Calendar.microsecondsPerHour)
            case "d", "day", "days": addDays(whole: whole, fraction: fraction, scale: 1)
            case "w", "week", "weeks": addDays(whole: whole, fraction: fraction, scale: 7)
            case "mon", "mons", "month", "months": addMonths(whole: whole, fraction: fraction)
            case "y", "yr", "yrs", "year", "years": addYears(whole: whole, fraction: fraction, scale: 1)
            case "dec", "decs", "decade", "decades": addYears(whole: whole, fraction: fraction, scale: 10)
            case "c", "cent", "century", "centuries": addYears(whole: whole, fraction: fraction, scale: 100)
            case "mil", "mils", "millennium", "millennia": addYears(whole: whole, fraction: fraction, scale: 1000)
            default: return false
            }
            return true
        }

        var interval: Interval? {
            guard valid, let m = Int32(exactly: months), let d = Int32(exactly: days) else { return nil }
            return Interval(months: m, days: d, microseconds: micros)
        }
    }

    /// One field of the verbose format, in input order.
    private enum Field {
        case number(String)
        case unit(String)
        case time(Int64)
        case yearMonth(years: Int64, months: Int64)
    }

    /// Canonical unit names, so that `day` and `days` conflict like PostgreSQL's field mask.
    private static func canonicalUnit(_ unit: String) -> String? {
        switch unit {
        case "us", "usec", "usecs", "useconds", "microsecond", "microseconds": "microseconds"
        case "ms", "msec", "msecs", "mseconds", "millisecond", "milliseconds": "milliseconds"
        case "s", "sec", "secs", "second", "seconds": "seconds"
        case "m", "min", "mins", "minute", "minutes": "minutes"
        case "h", "hr", "hrs", "hour", "hours": "hours"
        case "d", "day", "days": "days"
        case "w", "week", "weeks": "weeks"
        case "mon", "mons", "month", "months": "months"
        case "y", "yr", "yrs", "year", "years": "years"
        case "dec", "decs", "decade", "decades": "decades"
        case "c", "cent", "century", "centuries": "centuries"
        case "mil", "mils", "millennium", "millennia": "millennia"
        default: nil
        }
    }

    static func parse(_ text: String) -> Interval? {
        let trimmed = text.trimmingSQLWhitespace()
        guard !trimmed.isEmpty else { return nil }
        if trimmed.hasPrefix("P") || trimmed.hasPrefix("p") { return parseISO(String(trimmed.dropFirst())) }
        guard let (fields, negateAll) = scanFields(trimmed), !fields.isEmpty else { return nil }
        // PostgreSQL's DecodeInterval works right to left: a number without a unit takes the
        // unit of the nearest unit word to its right (seconds at the end, days before a time
        // field), and every unit may be given once.
        var total = Accumulator()
        var pendingUnit: String?
        var used = Set<String>()
        func claim(_ units: String...) -> Bool {
            for unit in units where !used.insert(unit).inserted { return false }
            return true
        }
        for field in fields.reversed() {
            switch field {
            case .unit(let unit):
                pendingUnit = unit
            case .time(let micros):
                guard claim("hours", "minutes", "seconds") else { return nil }
                total.add(\.micros, micros)
                pendingUnit = "days"
            case .yearMonth(let years, let months):
                guard claim("years", "months") else { return nil }
                total.add(\.months, years &* 12)
                total.add(\.months, months)
            case .number(let number):
                let unit = pendingUnit ?? "seconds"
                guard claim(unit), total.add(number: number, unit: unit) else { return nil }
            }
        }
        guard var result = total.interval else { return nil }
        if negateAll {
            guard let negated = try? result.negated() else { return nil }
            result = negated
        }
        return result
    }

    /// Splits the verbose format into fields; nil when a token is not valid there.
    private static func scanFields(_ text: String) -> ([Field], negate: Bool)? {
        var scanner = TextScanner(text)
        var fields: [Field] = []
        scanner.skipSpaces()
        _ = scanner.take("@")
        while true {
            scanner.skipSpaces()
            if scanner.atEnd { return (fields, false) }
            if scanner.takeWord("ago") {
                scanner.skipSpaces()
                return scanner.atEnd && !fields.isEmpty ? (fields, true) : nil
            }
            if let c = scanner.current, c.properties.isAlphabetic {
                guard case .number = fields.last, let unit = canonicalUnit(scanner.word()) else { return nil }
                fields.append(.unit(unit))
                continue
            }
            guard let number = scanner.decimal() else { return nil }
            if scanner.current == ":" {
                var timeScanner = scanner
                guard let micros = timeField(number: number, scanner: &timeScanner) else { return nil }
                scanner = timeScanner
                fields.append(.time(micros))
            } else if scanner.current == "-", scanner.lookaheadDigit(1), !number.contains(".") {
                // SQL-standard year-month: `1-2` is 1 year 2 months, `-1-2` negates both.
                _ = scanner.take("-")
                guard let years = Int64(number.drop { $0 == "+" || $0 == "-" }), years < 200_000_000,
                    let months = scanner.number(minDigits: 1, maxDigits: 9), scanner.current != "-"
                else { return nil }
                let sign: Int64 = number.hasPrefix("-") ? -1 : 1
                fields.append(.yearMonth(years: sign * years, months: sign * Int64(months)))
            } else {
                fields.append(.number(number))
                if let c = scanner.current, c.properties.isAlphabetic {
                    guard let unit = canonicalUnit(scanner.word()) else { return nil }
                    fields.append(.unit(unit))
                }
            }
        }
    }

    /// `[+-]HH:MM[:SS[.f]]` after its first number has been read; hours may be as large as
    /// the microsecond field allows (`2562047788:00:54.775807`).
    private static func timeField(number: String, scanner: inout TextScanner) -> Int64? {
        let negative = number.hasPrefix("-")
        guard let hours = Int64(number.drop { $0 == "+" || $0 == "-" }), hours <= 2_562_047_788, scanner.take(":"),
            let minutes = scanner.number(minDigits: 1, maxDigits: 2), minutes < 60
        else { return nil }
        var micros = hours * Calendar.microsecondsPerHour
        var overflow = false
        func add(_ amount: Int64) {
            let (sum, o) = micros.addingReportingOverflow(amount)
            overflow = overflow || o
            micros = sum
        }
        add(Int64(minutes) * Calendar.microsecondsPerMinute)
        if scanner.take(":") {
            guard let seconds = scanner.number(minDigits: 1, maxDigits: 2) else { return nil }
            add(Int64(seconds) * Calendar.microsecondsPerSecond)
            if scanner.take(".") { add(scanner.fractionMicroseconds()) }
        }
        guard !overflow else { return nil }
        return negative ? -micros : micros
    }

    /// The part after `P`: `nY nM nW nD [T nH nM nS]`.
    private static func parseISO(_ body: String) -> Interval? {
        var scanner = TextScanner(body)
        var total = Accumulator()
        var inTime = false
        var sawField = false
        while !scanner.atEnd {
            if scanner.take("T") || scanner.take("t") {
                guard !inTime else { return nil }
                inTime = true
                continue
            }
            guard let number = scanner.decimal(), let designator = scanner.current else { return nil }
            _ = scanner.take(designator)
            let unit: String
            switch (designator, inTime) {
            case ("Y", false), ("y", false): unit = "years"
            case ("M", false), ("m", false): unit = "months"
            case ("W", false), ("w", false): unit = "weeks"
            case ("D", false), ("d", false): unit = "days"
            case ("H", true), ("h", true): unit = "hours"
            case ("M", true), ("m", true): unit = "minutes"
            case ("S", true), ("s", true): unit = "seconds"
            default: return nil
            }
            guard total.add(number: number, unit: unit) else { return nil }
            sawField = true
        }
        return sawField ? total.interval : nil
    }
}
