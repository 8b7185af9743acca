/// Date, time, timestamp and interval arithmetic (`date_pli`, `timestamp_pl_interval`,
/// `timestamp_mi`, `time_pl_interval`, `interval_mul`, …) under `TimeZone = UTC`.
enum DateTimeArithmetic {
    static let dateOutOfRange = WhereClauseError.evaluation("date out of range")
    static let timestampOutOfRange = WhereClauseError.evaluation("timestamp out of range")

    static func apply(_ operation: BoundExpression.Operation, _ a: Value, _ b: Value, result: SQLType)
        throws(WhereClauseError) -> Value
    {
        switch (operation, a, b) {
        case (.add, .interval(let x), .interval(let y)): return .interval(try x + y)
        case (.subtract, .interval(let x), .interval(let y)): return .interval(try x + (try y.negated()))
        case (.multiply, .interval(let x), .float8(let f)), (.multiply, .float8(let f), .interval(let x)):
            return .interval(try x.multiplied(by: f))
        case (.divide, .interval(let x), .float8(let f)): return .interval(try x.divided(by: f))
        case (.add, .date(let d), .int(let n)), (.add, .int(let n), .date(let d)): return .date(try addDays(d, n))
        case (.subtract, .date(let d), .int(let n)): return .date(try addDays(d, -n))
        case (.subtract, .date(let x), .date(let y)):
            guard isFinite(x), isFinite(y) else { throw .evaluation("cannot subtract infinite dates") }
            return try Arithmetic.checked(x - y, .int4)
        case (.add, .date(let d), .interval(let i)), (.add, .interval(let i), .date(let d)):
            return .timestamp(try add(try Casts.dateToTimestamp(d), i))
        case (.subtract, .date(let d), .interval(let i)):
            return .timestamp(try add(try Casts.dateToTimestamp(d), try i.negated()))
        case (.add, .date(let d), .time(let t)), (.add, .time(let t), .date(let d)):
            let start = try Casts.dateToTimestamp(d)
            guard isFinite(start) else { return .timestamp(start) }
            let value = start + t
            guard Calendar.timestampRange.contains(value) else { throw timestampOutOfRange }
            return .timestamp(value)
        case (.add, .timestamp(let ts), .interval(let i)), (.add, .interval(let i), .timestamp(let ts)):
            return .timestamp(try add(ts, i))
        case (.subtract, .timestamp(let ts), .interval(let i)): return .timestamp(try add(ts, try i.negated()))
        case (.add, .timestamptz(let ts), .interval(let i)), (.add, .interval(let i), .timestamptz(let ts)):
            return .timestamptz(try add(ts, i))
        case (.subtract, .timestamptz(let ts), .interval(let i)): return .timestamptz(try add(ts, try i.negated()))
        case (.subtract, .timestamp(let x), .timestamp(let y)), (.subtract, .timestamptz(let x), .timestamptz(let y)):
            guard isFinite(x), isFinite(y) else { throw .evaluation("cannot subtract infinite timestamps") }
            let (difference, overflow) = x.subtractingReportingOverflow(y)
            if overflow { throw Interval.outOfRange }
            return .interval(Interval(months: 0, days: 0, microseconds: difference).justifiedHours())
        case (.add, .time(let t), .interval(let i)), (.add, .interval(let i), .time(let t)): return .time(wrap(t, i.microseconds))
        case (.subtract, .time(let t), .interval(let i)): return .time(wrap(t, 0 &- i.microseconds))
        case (.subtract, .time(let x), .time(let y)): return .interval(Interval(months: 0, days: 0, microseconds: x - y))
        default: throw .evaluation("unsupported date/time operation")
        }
    }

    static func isFinite(_ value: Int64) -> Bool { value != .max && value != .min }

    static func addDays(_ date: Int64, _ days: Int64) throws(WhereClauseError) -> Int64 {
        guard isFinite(date) else { return date }
        let (value, overflow) = date.addingReportingOverflow(days)
        guard !overflow, Calendar.dateRange.contains(value) else { throw dateOutOfRange }
        return value
    }

    /// `time_pl_interval`: wraps around midnight.
    static func wrap(_ time: Int64, _ delta: Int64) -> Int64 {
        let day = Calendar.microsecondsPerDay
        var result = time &+ (delta % day)
        result -= result / day * day
        if result < 0 { result += day }
        return result
    }

    /// `timestamp_pl_interval`: months (clamping the day to the month's end), then days, then
    /// microseconds.
    static func add(_ timestamp: Int64, _ interval: Interval) throws(WhereClauseError) -> Int64 {
        guard isFinite(timestamp) else { return timestamp }
        var value = timestamp
        if interval.months != 0 {
            let (days, time) = Calendar.floorDivide(value, Calendar.microsecondsPerDay)
            var (year, month, day) = Calendar.civil(days: days)
            let totalMonths = year * 12 + (month - 1) + Int(interval.months)
            year = Int(Calendar.floorDivide(Int64(totalMonths), 12).quotient)
            month = Int(Calendar.floorDivide(Int64(totalMonths), 12).remainder) + 1
            day = min(day, Calendar.daysInMonth(year: year, month: month))
            guard year > -4714, year < 294_277 else { throw timestampOutOfRange }
            value = Calendar.days(year: year, month: month, day: day) * Calendar.microsecondsPerDay + time
            guard Calendar.timestampRange.contains(value) else { throw timestampOutOfRange }
        }
        if interval.days != 0 {
            let (days, time) = Calendar.floorDivide(value, Calendar.microsecondsPerDay)
            let (dayMicros, overflow) = (days + Int64(interval.days)).multipliedReportingOverflow(by: Calendar.microsecondsPerDay)
            guard !overflow else { throw timestampOutOfRange }
            value = dayMicros + time
            guard Calendar.timestampRange.contains(value) else { throw timestampOutOfRange }
        }
        let (sum, overflow) = value.addingReportingOverflow(interval.microseconds)
        guard !overflow, Calendar.timestampRange.contains(sum) else { throw timestampOutOfRange }
        return sum
    }
}
