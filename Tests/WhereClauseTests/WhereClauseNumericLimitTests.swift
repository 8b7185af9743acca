import BigInt
import Testing

@testable import WhereClause

/// `numeric` results stay within PostgreSQL's format (131072 digits before the point, 16383
/// after) and their cost never grows with an exponent's value: the size is estimated before
/// anything is computed. Expected texts are PostgreSQL 15's.
struct WhereClauseNumericLimitTests {
    static let overflow = "value overflows numeric format"

    /// The issue: this once folded forever at 100% CPU.
    @Test func hugeExponentsAnswerAtOnce() throws {
        #expect(try constantText("0.5::numeric ^ 2147483647") == "0.0000000000000000")
        #expect(compileError("id > 0.5::numeric ^ 2147483647") == nil)
        #expect(try constantText("0.9999999::numeric ^ 2147483647") == "0.0000000000000000")
        #expect(try constantText("1.0000001::numeric ^ -2147483647") == "0.0000000000000000")
        #expect(try constantText("1::numeric ^ 2147483647") == "1.0000000000000000")
        #expect(try constantText("(-1)::numeric ^ 2147483647") == "-1.0000000000000000")
        for clause in [
            "id > 10::numeric ^ 1000000", "id > 2::numeric ^ 2147483647", "id > 0.5::numeric ^ -2147483647",
            "id > (-3)::numeric ^ 2147483647", "id > 1.5 ^ 1000000 ^ 1000000",
        ] {
            #expect(compileError(clause)?.hasSuffix(Self.overflow) == true, "\(clause)")
        }
        // Just past PostgreSQL's format: the digit limit answers first unless it is raised.
        #expect(compileError("id > 10::numeric ^ 131072")?.contains("the limit is 4096") == true)
        let wide = WhereClauseLimits(maxNumericDigits: .max)
        #expect(compileError("id > 2::numeric ^ 435412", limits: wide)?.hasSuffix(Self.overflow) == true)
    }

    /// Large but representable powers use PostgreSQL's bounded-precision squaring and agree
    /// with it digit for digit.
    @Test func largePowersMatchPostgres() throws {
        let big = try #require(try constantText("1.0000001::numeric ^ 2147483647"))
        #expect(big.hasPrefix("183664458940393809838917447161840468969545914883890593333"))
        #expect(big.hasSuffix("8636122148027.4088621221638301"))
        #expect(try constantText("1.0001::numeric ^ 20000") == "7.3883172795165607")
        #expect(try constantText("(-1.0000001)::numeric ^ 123456789") == "-229964.0526159301784424")
        let wide = WhereClauseLimits(maxNumericDigits: 20_000)
        let clause = try WhereClause.compileExpression("1.5::numeric ^ 60000", columns: [], limits: wide)
        let power = try #require(clause.root.constantValue.map { ValueText.format($0, as: .numeric) })
        #expect(power.count == 10583)
        #expect(power.hasPrefix("2989119934442382327693200864928397025768"))
        #expect(power.hasSuffix("82692408776319927075586.5976660684176252"))
    }

    /// PostgreSQL's format ends below 10^131072 and at 16383 digits after the point; the
    /// overflow is found from the operands' sizes, without computing.
    @Test func theFormatLimitIsPostgres() throws {
        let widest = Numeric(coefficient: BigInt(1) << 435_411, scale: 0)  // 131072 digits
        #expect(widest.integerDigits == 131_072)
        #expect(throws: WhereClauseError.numericOverflow) { try Numeric.multiply(widest, Numeric(10)) }
        #expect(throws: WhereClauseError.numericOverflow) { try (widest + widest + widest + widest + widest).checkedFormat() }
        #expect(throws: WhereClauseError.numericOverflow) { try Numeric.integerPower(widest, Numeric(2)) }
        #expect(try widest.checkedFormat() == widest)
        // Products keep at most 16383 digits after the point, rounded as PostgreSQL does.
        let tiny = Array(repeating: "1e-1000::numeric", count: 17).joined(separator: " * ")
        #expect(try constantText(tiny) == "0." + String(repeating: "0", count: 16383))
        let fraction = "0." + String(repeating: "1", count: 16384)
        #expect(compileError("n = \(fraction)") == "At location 4: \(Self.overflow)")
    }

    /// Below PostgreSQL's format, ``WhereClauseLimits/maxNumericDigits`` bounds what a clause
    /// computes (converting a numeric to text is quadratic in its length).
    @Test func numericResultsAreBoundedByTheDigitLimit() throws {
        #expect(
            compileError("n > 2::numeric ^ 100000") == "At location 15: numeric result too large (about 30119 digits; the limit is 4096)")
        #expect(compileError("n > 2::numeric ^ 13000") == nil)
        #expect(compileError("n > 2::numeric ^ 14000")?.hasSuffix("the limit is 4096)") == true)
        let thousand = "1" + String(repeating: "0", count: 999)
        #expect(compileError("n > \(thousand)::numeric * \(thousand) * \(thousand) * \(thousand)") == nil)
        #expect(
            compileError("n > \(thousand)::numeric * \(thousand) * \(thousand) * \(thousand) * \(thousand)")?
                .hasSuffix("the limit is 4096)") == true)
        #expect(compileError("n > 2::numeric ^ 100000", limits: WhereClauseLimits(maxNumericDigits: 40_000, maxRowWork: .max)) == nil)
        // A row's value may be larger than the limit; growing it further is an evaluation error.
        let row = ["n": "9" + String(repeating: "0", count: 5000)]
        #expect(try evaluate("n + 1 > 0", row) == true)
        #expect(try evaluate("n / 7 > 0", row) == true)
        let error = #expect(throws: WhereClauseError.self) { try evaluate("n * n > 0", row) }
        #expect(error?.kind == .evaluation && error?.reason.hasPrefix("numeric result too large") == true)
    }

    /// Functions that would build huge values from small clauses are not supported at all.
    @Test func growthFunctionsAreRejected() {
        for clause in [
            "t = repeat('x', 2000000000)", "t = lpad('', 2147483647)", "t = 'a' || repeat('x', 2000000000)",
            "n > power(10::numeric, 1000000)", "n > exp(1000000::numeric)", "n > factorial(100000)",
            "t = rpad('x', 2147483647, 'y')",
        ] {
            #expect(compileError(clause)?.contains("unknown or unsupported function") == true, "\(clause)")
        }
    }
}
