import Testing

@testable import WhereClause

struct WhereClauseNumberTests {
    @Test func integerArithmeticAndOverflow() throws {
        #expect(try evaluate("id + 1 = 43", ["id": "42"]) == true)
        #expect(try evaluate("id / 2 = -3", ["id": "-7"]) == true)
        #expect(try evaluate("id % 3 = -1", ["id": "-7"]) == true)
        // Overflow is an evaluation error: the row is not in the shape.
        #expect(throws: WhereClauseError.integerOutOfRange) { try evaluate("id + 1 > 0", ["id": "2147483647"]) }
        #expect(throws: WhereClauseError.smallintOutOfRange) { try evaluate("i2 * 2::int2 > 0", ["i2": "20000"]) }
        #expect(throws: WhereClauseError.bigintOutOfRange) { try evaluate("- i8 > 0", ["i8": "-9223372036854775808"]) }
        #expect(throws: WhereClauseError.divisionByZero) { try evaluate("id / 0 = 1 OR id > 0", ["id": "5"]) }
        let clause = try WhereClause.compile("id + 1 > 0", columns: testColumns)
        #expect(clause.evaluate(row: ["id": "2147483647"]) == false)
        // INT_MIN % -1 is 0 in PostgreSQL, not an overflow.
        #expect(try evaluate("id % -1 = 0", ["id": "-2147483648"]) == true)
        // Widening: int2 + int4 is int4, int4 * int8 is int8.
        #expect(try evaluate("i2 + id = 32768", ["i2": "32767", "id": "1"]) == true)
        #expect(try evaluate("id * i8 = 4294967296", ["id": "65536", "i8": "65536"]) == true)
    }

    @Test func numericIsExact() throws {
        #expect(try constantText("0.1 + 0.2") == "0.3")
        #expect(try constantText("1.50 * 2") == "3.00")
        #expect(try constantText("10 / 4.0") == "2.5000000000000000")
        #expect(try constantText("1 / 3.0") == "0.33333333333333333333")
        #expect(try constantText("2.0 / 3") == "0.66666666666666666667")
        #expect(try constantText("123456789012345678901234567890 + 1") == "123456789012345678901234567891")
        #expect(try constantText("-7.5 % 2") == "-1.5")
        #expect(try constantText("1e3") == "1000")
        #expect(try constantText("1.5e-3") == "0.0015")
        // Integer powers are exact, rounded to max(16, scale) digits (checked against PostgreSQL 15).
        #expect(try constantText("1.05 ^ 10") == "1.6288946267774414")
        #expect(try constantText("2::numeric ^ 100") == "1267650600228229401496703205376.0000000000000000")
        #expect(try constantText("3::numeric ^ -3") == "0.0370370370370370")
        #expect(try constantText("1.00000000000000000001 ^ 5") == "1.00000000000000000005")
        #expect(try constantText("0::numeric ^ 0") == "1.0000000000000000")
        #expect(try evaluate("n = 1", ["n": "1.000"]) == true)
        #expect(try evaluate("n > 99999999999999999999", ["n": "100000000000000000000.0000001"]) == true)
        #expect(try evaluate("n::int4 = 3", ["n": "2.5"]) == true)
        #expect(try evaluate("n::int4 = -3", ["n": "-2.5"]) == true)
    }

    @Test func numericSpecialValues() throws {
        #expect(try evaluate("n = 'NaN'", ["n": "NaN"]) == true)
        #expect(try evaluate("n > 'Infinity'", ["n": "NaN"]) == true)
        #expect(try evaluate("n > 1e100", ["n": "Infinity"]) == true)
        #expect(try evaluate("n < -1e100", ["n": "-Infinity"]) == true)
        #expect(try constantText("'Infinity'::numeric + '-Infinity'::numeric") == "NaN")
        #expect(try constantText("'Infinity'::numeric * -2") == "-Infinity")
        #expect(try constantText("5 / 'Infinity'::numeric") == "0")
        #expect(throws: WhereClauseError.divisionByZero) { try evaluate("n / 0 = 1", ["n": "1"]) }
    }

    @Test func floatSemantics() throws {
        // NaN equals NaN and sorts above everything, including Infinity.
        #expect(try evaluate("f8 = 'NaN'", ["f8": "NaN"]) == true)
        #expect(try evaluate("f8 > 'Infinity'::float8", ["f8": "NaN"]) == true)
        #expect(try evaluate("f8 = 0", ["f8": "-0"]) == true)
        // real = numeric resolves to float48eq (float8 is preferred), as in PostgreSQL.
        #expect(try evaluate("f4 = 0.1", ["f4": "0.1"]) == false)
        #expect(try evaluate("f4 = '0.1'", ["f4": "0.1"]) == true)
        #expect(try evaluate("f4::float8 = 0.1::float8", ["f4": "0.1"]) == false)
        #expect(try constantText("0.1::float8 + 0.2::float8") == "0.30000000000000004")
        #expect(try constantText("1e15::float8") == "1e+15")
        #expect(try constantText("123456789012345.6::float8") == "123456789012345.6")
        #expect(try constantText("0.0001::float8") == "0.0001")
        #expect(try constantText("0.00001::float8") == "1e-05")
        #expect(try constantText("'-0'::float8") == "-0")
        #expect(try constantText("1234567::float4") == "1.234567e+06")
        #expect(try constantText("'inf'::float8") == "Infinity")
        // PostgreSQL's Ryu never picks a decimal exactly halfway to the neighbouring float.
        #expect(try constantText("(-1395928028)::float4") == "-1.3959281e+09")
        #expect(try constantText("110506176::float4") == "1.10506176e+08")
        #expect(try constantText("5e-324::float8") == "5e-324")
        #expect(try constantText("1.7976931348623157e308::float8") == "1.7976931348623157e+308")
        #expect(try constantText("0.1::float8::numeric") == "0.1")
        #expect(try constantText("2.5::float8::int4") == "2")
        #expect(try constantText("3.5::float8::int4") == "4")
        #expect(throws: WhereClauseError.self) { try evaluate("f8 * 10 > 0", ["f8": "1e308"]) }
        #expect(throws: WhereClauseError.divisionByZero) { try evaluate("f8 / 0 > 0", ["f8": "1"]) }
        #expect(try evaluate("f8 / 0 IS NULL", ["f8": "NaN"]) == false)
        #expect(compileError("f8 = '1e400'") == "At location 5: invalid syntax for type float8: 1e400")
    }

    @Test func longIntegerInLists() throws {
        let list = (1...50).map(String.init).joined(separator: ", ")
        #expect(try evaluate("id IN (\(list))", ["id": "37"]) == true)
        #expect(try evaluate("id IN (\(list))", ["id": "51"]) == false)
        #expect(try evaluate("id IN (\(list), NULL)", ["id": "51"]) == nil)
        #expect(try evaluate("id NOT IN (\(list))", ["id": "51"]) == true)
        #expect(try evaluate("i2 IN (\(list))", ["i2": "2"]) == true)
        #expect(try evaluate("id IN (\(list))", [:]) == nil)
    }

    @Test func nullsPropagate() throws {
        #expect(try evaluate("id + 1 = 2", [:]) == nil)
        #expect(try evaluate("id = 1 OR true", [:]) == true)
        #expect(try evaluate("id = 1 AND false", [:]) == false)
        #expect(try evaluate("id = 1 AND true", [:]) == nil)
        #expect(try evaluate("NOT (id = 1)", [:]) == nil)
        #expect(try evaluate("(id = 1) IS UNKNOWN", [:]) == true)
        #expect(try evaluate("(id = 1) IS NOT FALSE", [:]) == true)
        #expect(try evaluate("id IS DISTINCT FROM NULL", ["id": "1"]) == true)
        #expect(try evaluate("id IS NOT DISTINCT FROM NULL", [:]) == true)
        #expect(try evaluate("id IN (1, NULL)", ["id": "2"]) == nil)
        #expect(try evaluate("id NOT IN (1, NULL)", ["id": "1"]) == false)
        #expect(try evaluate("coalesce(id, i2, 7) = 7", [:]) == true)
        #expect(try evaluate("greatest(id, i2) = 3", ["i2": "3"]) == true)
        #expect(try evaluate("id BETWEEN 1 AND 10", ["id": "5"]) == true)
        #expect(try evaluate("id BETWEEN SYMMETRIC 10 AND 1", ["id": "5"]) == true)
        #expect(try evaluate("id NOT BETWEEN 1 AND 10", ["id": "11"]) == true)
    }
}
