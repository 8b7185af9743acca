#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A PostgreSQL `interval`: months, days and microseconds, kept separately.
///
/// Comparison and equality use PostgreSQL's linearization (a month counts as 30 days, a day
/// as 24 hours), so `'1 mon' = '30 days'` is true, exactly like `interval_cmp`.
struct Interval: Hashable, Sendable {
    var months: Int32
    var days: Int32
    var microseconds: Int64

    static let zero = Interval(months: 0, days: 0, microseconds: 0)

    /// The 128-bit comparison key of `interval_cmp_value`.
    var span: Int128 {
        let dayFraction = Int128(microseconds % Calendar.microsecondsPerDay)
        let wholeDays = Int128(microseconds / Calendar.microsecondsPerDay) + Int128(months) * 30 + Int128(days)
        return dayFraction + wholeDays * Int128(Calendar.microsecondsPerDay)
    }

    static func compare(_ a: Interval, _ b: Interval) -> Int {
        let x = a.span
        let y = b.span
        return x == y ? 0 : (x < y ? -1 : 1)
    }

    static let outOfRange = WhereClauseError.evaluation("interval out of range")

    static func + (a: Interval, b: Interval) throws(WhereClauseError) -> Interval {
        let (m, o1) = a.months.addingReportingOverflow(b.months)
        let (d, o2) = a.days.addingReportingOverflow(b.days)
        let (t, o3) = a.microseconds.addingReportingOverflow(b.microseconds)
        if o1 || o2 || o3 { throw outOfRange }
        return Interval(months: m, days: d, microseconds: t)
    }

    func negated() throws(WhereClauseError) -> Interval {
        guard months != .min, days != .min, microseconds != .min else { throw Interval.outOfRange }
        return Interval(months: -months, days: -days, microseconds: -microseconds)
    }

    /// `interval_mul` of PostgreSQL 15: whole parts per field, fractions cascaded down.
    func multiplied(by factor: Double) throws(WhereClauseError) -> Interval {
        func int32(_ value: Double) throws(WhereClauseError) -> Int32 {
            guard !value.isNaN, value >= Double(Int32.min), value <= Double(Int32.max) else { throw Interval.outOfRange }
            return Int32(value)
        }
        func tsRound(_ value: Double) -> Double { (value * 1_000_000).rounded(.toNearestOrEven) / 1_000_000 }
        let resultMonths = try int32(Double(months) * factor)
        var resultDays = try int32(Double(days) * factor)
        let monthRemainderDays = tsRound((Double(months) * factor - Double(resultMonths)) * 30)
        var secondRemainder = tsRound(
            (Double(days) * factor - Double(resultDays) + monthRemainderDays - monthRemainderDays.rounded(.towardZero)) * 86400)
        if abs(secondRemainder) >= 86400 {
            let whole = try int32((secondRemainder / 86400).rounded(.towardZero))
            let (sum, overflow) = resultDays.addingReportingOverflow(whole)
            if overflow { throw Interval.outOfRange }
            resultDays = sum
            secondRemainder -= Double(whole) * 86400
        }
        let (withMonths, overflow) = resultDays.addingReportingOverflow(try int32(monthRemainderDays.rounded(.towardZero)))
        if overflow { throw Interval.outOfRange }
        resultDays = withMonths
        let time = (Double(microseconds) * factor + secondRemainder * 1_000_000).rounded(.toNearestOrEven)
        guard !time.isNaN, time >= -9.223372036854775808e18, time < 9.223372036854775808e18 else { throw Interval.outOfRange }
        return Interval(months: resultMonths, days: resultDays, microseconds: Int64(time))
    }

    /// `interval_div` of PostgreSQL 15: like ``multiplied(by:)`` but dividing each field (not
    /// multiplying by the reciprocal, which rounds differently). PostgreSQL 15 does not range-
    /// check here (out-of-range results are platform-dependent); Conduit reports
    /// `interval out of range`.
    func divided(by factor: Double) throws(WhereClauseError) -> Interval {
        if factor == 0 { throw .divisionByZero }
        func int32(_ value: Double) throws(WhereClauseError) -> Int32 {
            guard !value.isNaN, value >= Double(Int32.min), value < Double(Int32.max) + 1 else { throw Interval.outOfRange }
            return Int32(value.rounded(.towardZero))
        }
        func tsRound(_ value: Double) -> Double { (value * 1_000_000).rounded(.toNearestOrEven) / 1_000_000 }
        let resultMonths = try int32(Double(months) / factor)
        var resultDays = try int32(Double(days) / factor)
        let monthRemainderDays = tsRound((Double(months) / factor - Double(resultMonths)) * 30)
        var secondRemainder = tsRound(
            (Double(days) / factor - Double(resultDays) + monthRemainderDays - monthRemainderDays.rounded(.towardZero)) * 86400)
        if abs(secondRemainder) >= 86400 {
            let whole = try int32((secondRemainder / 86400).rounded(.towardZero))
            resultDays = resultDays &+ whole
            secondRemainder -= Double(whole) * 86400
        }
        resultDays = resultDays &+ (try int32(monthRemainderDays.rounded(.towardZero)))
        let time = (Double(microseconds) / factor + secondRemainder * 1_000_000).rounded(.toNearestOrEven)
        guard !time.isNaN, time >= -9.223372036854775808e18, time < 9.223372036854775808e18 else { throw Interval.outOfRange }
        return Interval(months: resultMonths, days: resultDays, microseconds: Int64(time))
    }

    /// `justify_hours`: moves whole days out of the time field.
    func justifiedHours() -> Interval {
        var result = self
        result.carryTimeIntoDays()
        result.alignTimeWithDays()
        return result
    }

    /// `justify_days`: moves whole 30-day periods into months.
    func justifiedDays() -> Interval {
        var result = self
        result.carryDaysIntoMonths()
        if result.months > 0 && result.days < 0 {
            result.days += 30
            result.months -= 1
        } else if result.months < 0 && result.days > 0 {
            result.days -= 30
            result.months += 1
        }
        return result
    }

    /// `justify_interval`: both, with consistent signs.
    func justified() -> Interval {
        var result = self
        result.carryTimeIntoDays()
        result.carryDaysIntoMonths()
        if result.months > 0 && (result.days < 0 || (result.days == 0 && result.microseconds < 0)) {
            result.days += 30
            result.months -= 1
        } else if result.months < 0 && (result.days > 0 || (result.days == 0 && result.microseconds > 0)) {
            result.days -= 30
            result.months += 1
        }
        result.alignTimeWithDays()
        return result
    }

    private mutating func carryTimeIntoDays() {
        let wholeDays = microseconds / Calendar.microsecondsPerDay
        microseconds -= wholeDays * Calendar.microsecondsPerDay
        days = days &+ Int32(truncatingIfNeeded: wholeDays)
    }

    private mutating func carryDaysIntoMonths() {
        let wholeMonths = days / 30
        days -= wholeMonths * 30
        months = months &+ wholeMonths
    }

    /// Gives the time field the sign of the day field, borrowing one day.
    private mutating func alignTimeWithDays() {
        if days > 0 && microseconds < 0 {
            microseconds += Calendar.microsecondsPerDay
            days -= 1
        } else if days < 0 && microseconds > 0 {
            microseconds -= Calendar.microsecondsPerDay
            days += 1
        }
    }

    /// ISO 8601 output (`IntervalStyle = iso_8601`), e.g. `P1Y2M3DT4H5M6.5S`, `PT0S`.
    var iso8601: String {
        let year = months / 12
        let month = months % 12
        var time = microseconds
        let hour = time / Calendar.microsecondsPerHour
        time -= hour * Calendar.microsecondsPerHour
        let minute = time / Calendar.microsecondsPerMinute
        time -= minute * Calendar.microsecondsPerMinute
        let second = time / Calendar.microsecondsPerSecond
        let fraction = time - second * Calendar.microsecondsPerSecond
        if year == 0 && month == 0 && days == 0 && hour == 0 && minute == 0 && second == 0 && fraction == 0 {
            return "PT0S"
        }
        var text = "P"
        func part(_ value: Int64, _ unit: String) { if value != 0 { text += "\(value)\(unit)" } }
        part(Int64(year), "Y")
        part(Int64(month), "M")
        part(Int64(days), "D")
        if hour != 0 || minute != 0 || second != 0 || fraction != 0 { text += "T" }
        part(hour, "H")
        part(minute, "M")
        if second != 0 || fraction != 0 {
            if second < 0 || fraction < 0 { text += "-" }
            text += String(second.magnitude) + DateTimeText.fractionText(Int64(fraction.magnitude)) + "S"
        }
        return text
    }
}
