import BigInt
import Foundation
import Testing

@testable import WhereClause

/// ``WhereClauseLimits/maxRowWork``: the work one row's evaluation may take is bounded by the
/// sizes of what the clause computes, not by the clause's length, so no client's clause can make
/// router's loop spend seconds on a row.
struct WhereClauseWorkLimitTests {
    static let bigDivisor = "1." + String(repeating: "7", count: 4000)
    static let row = ["n": "3" + String(repeating: "1", count: 900)]

    /// The report: `n / $1 > 0` repeated a hundred times (1.5 KB of clause) with a 4,000-digit
    /// parameter took 7.6 s of CPU per row in a debug build. Now the first division is refused
    /// from its operands' sizes, before it runs: at compile time, since even the cheapest row
    /// (`n = 1`) would exceed the budget, and for a row, with an error of its own kind, when
    /// the cost depends on the row (here the clause only divides when `t` is not empty).
    @Test func costlyDivisionsFailBeforeTheyRun() throws {
        let unconditional = (0..<100).map { _ in "n / $1 > 0" }.joined(separator: " AND ")
        let compileTime = #expect(throws: WhereClauseError.self) {
            try WhereClause.compile(unconditional, columns: testColumns, params: [1: Self.bigDivisor])
        }
        #expect(compileTime?.kind == .compile && compileTime?.message.contains("needs too much work") == true)
        let clause = "t <> '' AND " + unconditional
        let checked = try WhereClause.compile(clause, columns: testColumns, params: [1: Self.bigDivisor])
        let row = Self.row.merging(["t": "x"]) { $1 }
        let error = #expect(throws: WhereClauseError.self) { try checked.evaluateTristate(row: row) }
        #expect(error?.kind == .workLimit)
        #expect(error?.message.hasPrefix("where clause needs too much work to evaluate a row (more than 20000000 units") == true)
        #expect(checked.evaluate(row: row) == false)
        #expect(try checked.evaluateTristate(row: Self.row.merging(["t": ""]) { $1 }) == false, "t is empty: no division")
        // The same clause with a small divisor, and the same operations on small values, run.
        let small = try WhereClause.compile(clause, columns: testColumns, params: [1: "1.7"])
        #expect(try small.evaluateTristate(row: row) == true)
        #expect(try small.evaluateTristate(row: ["n": "42", "t": "x"]) == true)
    }

    /// Each operation is charged, so many cheap-looking large ones add up: with a budget of 1,000
    /// units, a product of two 100-digit values (10,000 units) fails, one of two 10-digit values
    /// does not, and neither do hundreds of small operations.
    @Test func theBudgetCoversTheWholeRow() throws {
        let limits = WhereClauseLimits(maxRowWork: 20_000)
        let hundred = String(repeating: "9", count: 100)
        #expect(try evaluate("n * \(hundred) > 0", ["n": hundred]) == true)
        let tight = try WhereClause.compile("n * $1 > 0", columns: testColumns, params: [1: hundred], limits: WhereClauseLimits(maxRowWork: 1000))
        #expect(throws: WhereClauseError.self) { try tight.evaluateTristate(row: ["n": hundred]) }
        let many = (0..<300).map { "n + \($0) > 0" }.joined(separator: " AND ")
        #expect(try WhereClause.compile(many, columns: testColumns, limits: limits).evaluateTristate(row: ["n": "5"]) == true)
        // Two costly comparisons of 150-digit values against a 150-digit parameter: 2 × 22,500
        // units pass one at a time, not together.
        let wide = String(repeating: "8", count: 150)
        let one = try WhereClause.compile("n < $1", columns: testColumns, params: [1: wide], limits: WhereClauseLimits(maxRowWork: 30_000))
        #expect(try one.evaluateTristate(row: ["n": String(repeating: "7", count: 150)]) == true)
        let two = try WhereClause.compile(
            "n < $1 AND n + 0 < $1", columns: testColumns, params: [1: wide], limits: WhereClauseLimits(maxRowWork: 30_000))
        let error = #expect(throws: WhereClauseError.self) { try two.evaluateTristate(row: ["n": String(repeating: "7", count: 150)]) }
        #expect(error?.kind == .workLimit)
    }

    /// Comparing a row's value with a constant of a very different scale rescales it by a power
    /// of ten computed for the purpose, quadratic in the scale difference: a parameter like
    /// `1e-4000` has one digit but costs as much to compare with as a 4,000-digit one, also in an
    /// `IN` list. Comparisons of ordinary values stay one unit each.
    @Test func comparisonsAgainstFarScalesAreCharged() throws {
        let tiny = "0." + String(repeating: "0", count: 3999) + "1"
        let repeated = (0..<100).map { _ in "n > $1" }.joined(separator: " AND ")
        for clause in [repeated, "n IN (" + (0..<10).map { _ in tiny }.joined(separator: ", ") + ")"] {
            // Costly whatever the row: refused at compile time.
            #expect(compileError(clause, params: [1: tiny])?.contains("needs too much work") == true, "\(clause.prefix(40))")
            // Costly for rows with a title: refused at the first such row.
            let checked = try WhereClause.compile("t <> '' AND (\(clause))", columns: testColumns, params: [1: tiny])
            let error = #expect(throws: WhereClauseError.self) { try checked.evaluateTristate(row: ["n": "2.5", "t": "x"]) }
            #expect(error?.kind == .workLimit, "\(clause.prefix(40))")
        }
        let ordinary = try WhereClause.compile(repeated + " AND n IN (1.5, 2.5, 3)", columns: testColumns, params: [1: "0.001"])
        #expect(try ordinary.evaluateTristate(row: ["n": "2.5"]) == true)
        let cheap = WhereClauseLimits(maxRowWork: 300)
        let counted = try WhereClause.compile(repeated, columns: testColumns, params: [1: "0.001"], limits: cheap)
        #expect(try counted.evaluateTristate(row: ["n": "2.5"]) == true)
    }

    /// Array containment compares every element with every other: a 10,000-element parameter
    /// against a row's array of thousands is charged their product.
    @Test func arrayContainmentIsChargedPerPair() throws {
        let parameter = "{" + (1...10_000).map(String.init).joined(separator: ",") + "}"
        let checked = try WhereClause.compile("ia @> $1::int4[]", columns: testColumns, params: [1: parameter])
        let small = ["ia": "{" + (1...10).map(String.init).joined(separator: ",") + "}"]
        #expect(try checked.evaluateTristate(row: small) == false)
        let large = ["ia": "{" + (1...5000).map(String.init).joined(separator: ",") + "}"]
        let error = #expect(throws: WhereClauseError.self) { try checked.evaluateTristate(row: large) }
        #expect(error?.kind == .workLimit)
    }

    /// Constant folding shares one budget over the whole clause: it is a compile error (400).
    @Test func costlyConstantsFailToCompile() {
        let clause = "n > 3.1::numeric / \(Self.bigDivisor)"
        #expect(compileError(clause)?.contains("where clause needs too much work") == true)
        let repeated = (0..<40).map { _ in "n > 2::numeric ^ 3000" }.joined(separator: " AND ")
        #expect(compileError("n > 2::numeric ^ 3000") == nil)
        #expect(compileError(repeated)?.contains("where clause needs too much work") == true)
    }

    /// `LIKE` is charged for the positions it may try: the text's length for each `%`.
    @Test func likeIsChargedForItsWildcards() throws {
        let text = String(repeating: "a", count: 10_000)
        let limits = WhereClauseLimits(maxRowWork: 100_000)
        let plain = try WhereClause.compile("t LIKE '%b'", columns: testColumns, limits: limits)
        #expect(try plain.evaluateTristate(row: ["t": text]) == false)
        let wild = try WhereClause.compile("t LIKE '" + String(repeating: "%a", count: 20) + "%b'", columns: testColumns, limits: limits)
        let error = #expect(throws: WhereClauseError.self) { try wild.evaluateTristate(row: ["t": text]) }
        #expect(error?.kind == .workLimit)
    }

    /// Division reads the operands' leading base-10,000 digit from their logarithm; the
    /// conversion it replaced is the oracle, on random values and on the boundaries where the
    /// logarithm cannot decide (powers of ten, runs of nines, leading groups like 9999).
    @Test func divisionScaleFromTheLogarithmMatchesTheDigits() {
        var generator = WhereClauseFuzzTests.Generator(state: 20_261_207)
        var values: [Numeric] = []
        for _ in 0..<4000 {
            let length = Int.random(in: 1...80, using: &generator)
            var digits = (0..<length).map { _ in String(Int.random(in: 0...9, using: &generator)) }.joined()
            switch Int.random(in: 0..<5, using: &generator) {
            case 0: digits = "1" + String(repeating: "0", count: length)
            case 1: digits = String(repeating: "9", count: length)
            case 2: digits = "9999" + digits
            case 3: digits = "1000" + String(repeating: "0", count: length) + "1"
            default: break
            }
            let scale = Int.random(in: 0...(length + 10), using: &generator)
            guard let coefficient = BigInt(digits), coefficient != 0 else { continue }
            values.append(Numeric(coefficient: Bool.random(using: &generator) ? coefficient : -coefficient, scale: scale))
        }
        values.append(Numeric(text: Self.bigDivisor)!)
        values.append(Numeric(text: "9" + String(repeating: "9", count: 4000))!)
        var mismatches: [String] = []
        for value in values {
            let fast = value.baseTenThousandLead
            let exact = value.exactBaseTenThousandLead
            if fast.weight != exact.weight || fast.digit != exact.digit { mismatches.append("\(value.coefficient)e-\(value.scale)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
    }
}
