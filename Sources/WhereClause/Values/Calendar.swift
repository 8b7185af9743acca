/// Proleptic Gregorian calendar arithmetic on Julian day numbers, as PostgreSQL's
/// `date2j`/`j2date` do it. Years are astronomical (year 0 is 1 BC).
enum Calendar {
    /// Julian day of 2000-01-01, PostgreSQL's epoch for `date` and `timestamp`.
    static let postgresEpochJulian = 2_451_545
    static let microsecondsPerDay: Int64 = 86_400_000_000
    static let microsecondsPerHour: Int64 = 3_600_000_000
    static let microsecondsPerMinute: Int64 = 60_000_000
    static let microsecondsPerSecond: Int64 = 1_000_000

    /// Dates are valid from Julian day 0 (4714-11-24 BC) up to, not including, 5874898-01-01.
    static let dateRange: ClosedRange<Int64> = Int64(-postgresEpochJulian)...Int64(2_147_483_494 - postgresEpochJulian - 1)
    /// Timestamps are valid from 4714-11-24 BC up to, not including, 294277-01-01.
    static let timestampRange: ClosedRange<Int64> = -211_813_488_000_000_000...(9_223_371_331_200_000_000 - 1)

    static func julianDay(year: Int, month: Int, day: Int) -> Int {
        var y = year
        var m = month
        if m > 2 {
            m += 1
            y += 4800
        } else {
            m += 13
            y += 4799
        }
        let century = y / 100
        var julian = y * 365 - 32167
        julian += y / 4 - century + century / 4
        julian += 7834 * m / 256 + day
        return julian
    }

    static func date(fromJulian jd: Int) -> (year: Int, month: Int, day: Int) {
        var julian = jd + 32044
        var quad = julian / 146_097
        let extra = (julian - quad * 146_097) * 4 + 3
        julian += 60 + quad * 3 + extra / 146_097
        quad = julian / 1461
        julian -= quad * 1461
        var y = julian * 4 / 1461
        julian = (y != 0 ? (julian + 305) % 365 : (julian + 306) % 366) + 123
        y += quad * 4
        let q = julian * 2141 / 65536
        let day = julian - 7834 * q / 256
        let month = (q + 10) % 12 + 1
        return (y - 4800, month, day)
    }

    static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 2000-01-01 for a calendar date.
    static func days(year: Int, month: Int, day: Int) -> Int64 {
        Int64(julianDay(year: year, month: month, day: day) - postgresEpochJulian)
    }

    static func civil(days: Int64) -> (year: Int, month: Int, day: Int) {
        date(fromJulian: Int(days) + postgresEpochJulian)
    }

    /// `floor(a / b)` for positive `b`.
    static func floorDivide(_ a: Int64, _ b: Int64) -> (quotient: Int64, remainder: Int64) {
        var q = a / b
        var r = a % b
        if r < 0 {
            q -= 1
            r += b
        }
        return (q, r)
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let raw = String(value)
        return raw.count >= width ? raw : String(repeating: "0", count: width - raw.count) + raw
    }
}
