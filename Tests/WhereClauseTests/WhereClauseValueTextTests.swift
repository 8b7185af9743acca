import Foundation
import Testing

@testable import WhereClause

/// Seeded property tests of the text input/output functions: output always reads back as the
/// same value, and arbitrary input never traps.
struct WhereClauseValueTextTests {
    static let seed = ProcessInfo.processInfo.environment["CONDUIT_FUZZ_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...UInt64.max)

    @Test func floatsRoundTrip() {
        print("value text seed \(Self.seed)")
        var rng = WhereClauseFuzzTests.Generator(state: Self.seed)
        for _ in 0..<20_000 {
            let double = Double(bitPattern: rng.next())
            if double.isFinite {
                let text = FloatText.format(double)
                #expect(FloatText.parseDouble(text)?.bitPattern == double.bitPattern || double == 0, "\(double) → \(text)")
            }
            let float = Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))
            if float.isFinite && (float.isNormal || float == 0) {
                let text = FloatText.format(float)
                #expect(FloatText.parseFloat(text)?.bitPattern == float.bitPattern || float == 0, "\(float) → \(text)")
            }
        }
    }

    /// The fast path (Swift's digits unless a boundary is possible) agrees with the exact
    /// computation.
    @Test func fastShortestDigitsMatchExact() {
        var rng = WhereClauseFuzzTests.Generator(state: Self.seed &+ 4)
        for round in 0..<3_000 {
            // Mix random bit patterns with integers and short decimals, where boundaries occur.
            let double =
                round % 3 == 0
                ? Double(bitPattern: rng.next()) : Double(Int64.random(in: -(1 << 62)...(1 << 62), using: &rng)) / [1, 10, 1000][round % 3]
            if double.isFinite && double != 0,
                let fast = ShortestDecimal.fastDigits(double.description, magnitude: abs(double), mantissaWidth: 53)
            {
                #expect(fast == ShortestDecimal.digits(of: abs(double)), "\(double)")
            }
            let float =
                round % 3 == 0
                ? Float(bitPattern: UInt32(truncatingIfNeeded: rng.next())) : Float(Int32.random(in: .min ... .max, using: &rng))
            if float.isFinite && float != 0,
                let fast = ShortestDecimal.fastDigits(float.description, magnitude: Double(abs(float)), mantissaWidth: 24)
            {
                #expect(fast == ShortestDecimal.digits(of: abs(float)), "\(float)")
            }
        }
    }

    @Test func temporalValuesRoundTrip() {
        var rng = WhereClauseFuzzTests.Generator(state: Self.seed &+ 1)
        for _ in 0..<5_000 {
            let days = Int64.random(in: Calendar.dateRange, using: &rng)
            #expect(DateTimeText.parseDate(DateTimeText.formatDate(days)) == days)
            let micros = Int64.random(in: Calendar.timestampRange, using: &rng)
            #expect(DateTimeText.parseTimestamp(DateTimeText.formatTimestamp(micros, withTimeZone: false), withTimeZone: false) == micros)
            #expect(DateTimeText.parseTimestamp(DateTimeText.formatTimestamp(micros, withTimeZone: true), withTimeZone: true) == micros)
            let time = Int64.random(in: 0...Calendar.microsecondsPerDay, using: &rng)
            #expect(DateTimeText.parseTime(DateTimeText.formatTime(time)) == time)
            let interval = Interval(
                months: Int32.random(in: -100_000...100_000, using: &rng), days: Int32.random(in: -1_000_000...1_000_000, using: &rng),
                microseconds: Int64.random(in: -(1 << 60)...(1 << 60), using: &rng))
            let parsed = IntervalText.parse(interval.iso8601)
            #expect(parsed == interval, "\(interval) → \(interval.iso8601)")
        }
    }

    @Test func numericsRoundTrip() {
        var rng = WhereClauseFuzzTests.Generator(state: Self.seed &+ 2)
        for _ in 0..<5_000 {
            let digits = (0..<Int.random(in: 1...40, using: &rng)).map { _ in String(Int.random(in: 0...9, using: &rng)) }.joined()
            let text = (Bool.random(using: &rng) ? "-" : "") + digits + "e" + String(Int.random(in: -30...30, using: &rng))
            guard let value = Numeric(text: text) else {
                Issue.record("rejected \(text)")
                continue
            }
            let printed = value.text
            #expect(Numeric(text: printed).map { Numeric.compare($0, value) } == 0, "\(text) → \(printed)")
            #expect(Numeric(text: printed)?.text == printed)
        }
    }

    @Test func arbitraryInputNeverTraps() {
        var rng = WhereClauseFuzzTests.Generator(state: Self.seed &+ 3)
        let alphabet = Array("0123456789+-.eE:/ TtPpYMDHSWBCADbcad{}\",\\NULLinfityINFNaN-_'@agoyrs年😀é".unicodeScalars)
        let types: [SQLType] = [
            .bool, .int2, .int4, .int8, .numeric, .float4, .float8, .text, .uuid, .date, .time, .timestamp, .timestamptz, .interval,
            SQLType(.int4, array: true), SQLType(.text, array: true), SQLType(.interval, array: true),
        ]
        var accepted = 0
        for _ in 0..<30_000 {
            var view = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0...24, using: &rng) { view.append(alphabet[Int.random(in: 0..<alphabet.count, using: &rng)]) }
            let text = String(view)
            for type in types where ValueText.parse(text, as: type) != nil { accepted += 1 }
        }
        #expect(accepted > 0)
    }
}
