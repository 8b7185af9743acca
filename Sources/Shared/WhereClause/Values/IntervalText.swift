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
            case "", "s", "sec", "secs", "second", "seconds": addMicros(whole: whole, fraction: fraction, scale: Calendar.microsecondsPerSecond)
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

    static func parse(_ text: String) -> Interval? {
        let trimmed = text.trimmingSQLWhitespace()
        guard !trimmed.isEmpty else { return nil }
        if trimmed.hasPrefix("P") || trimmed.hasPrefix("p") { return parseISO(String(trimmed.dropFirst())) }
        var scanner = TextScanner(trimmed)
        var total = Accumulator()
        var negateAll = false
        var sawField = false
        scanner.skipSpaces()
        _ = scanner.take("@")
        while true {
            scanner.skipSpaces()
            if scanner.atEnd { break }
            if scanner.takeWord("ago") {
                negateAll = true
                scanner.skipSpaces()
                guard scanner.atEnd else { return nil }
                break
            }
            let start = scanner.position
            guard let number = scanner.decimal() else { return nil }
            if scanner.current == ":" {
                var timeScanner = scanner
                guard let micros = timeField(number: number, scanner: &timeScanner) else { return nil }
                scanner = timeScanner
                total.add(\.micros, micros)
            } else {
                scanner.skipSpaces()
                let unit = scanner.word()
                guard total.add(number: number, unit: unit) else { return nil }
            }
            sawField = sawField || scanner.position > start
        }
        guard sawField, var result = total.interval else { return nil }
        if negateAll {
            guard let negated = try? result.negated() else { return nil }
            result = negated
        }
        return result
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
