import Testing

@testable import WhereClause

/// One test per ``WhereClauseLimits`` field: the hostile clause gets the error that names the
/// limit, and a clause just under the limit compiles.
struct WhereClauseLimitTests {
    /// A NUL byte in a string literal or a parameter is refused as PostgreSQL refuses it, when
    /// the clause is compiled.
    @Test func nulBytesAreRefusedLikePostgreSQLDoes() {
        let message = "invalid byte sequence for encoding \"UTF8\": 0x00"
        #expect(compileError("t = 'a\u{0}b'") == message)
        #expect(compileError("t = $1", params: [1: "a\u{0}b"]) == message)
        #expect(compileError("t = $1", params: [1: "ab"]) == nil)
    }

    static func inList(_ count: Int) -> String {
        "id IN (" + (1...count).map(String.init).joined(separator: ",") + ")"
    }

    @Test func clauseLength() {
        let padding = String(repeating: " ", count: 65_536 - 6)
        #expect(compileError("id = 1" + padding) == nil)
        #expect(compileError("id = 1 " + padding) == "where clause is too long (65537 bytes; the limit is 65536)")
        // Bytes, not characters: "é" is two.
        #expect(compileError("t = '\(String(repeating: "é", count: 40_000))'")?.hasPrefix("where clause is too long (80006 bytes") == true)
        // A numeric literal of a million digits is caught by the length limit before parsing.
        #expect(
            compileError("n > " + String(repeating: "9", count: 1_000_000))
                == "where clause is too long (1000004 bytes; the limit is 65536)")
    }

    @Test func parameterLength() {
        let limits = WhereClauseLimits(maxLength: 100)
        #expect(compileError("t = $1", params: [1: String(repeating: "x", count: 100)], limits: limits) == nil)
        #expect(
            compileError(
                "t = $1 OR t = $2", params: [1: String(repeating: "x", count: 60), 2: String(repeating: "y", count: 41)], limits: limits)
                == "parameters are too long (101 bytes; the limit is 100)")
    }

    @Test func nestingDepth() {
        func nested(_ levels: Int) -> String { String(repeating: "(", count: levels) + "id = 1" + String(repeating: ")", count: levels) }
        // The outermost expression, the comparison and its right operand take three levels.
        #expect(compileError(nested(61)) == nil)
        #expect(compileError(nested(62)) == "At location 67: expression nesting too deep (the limit is 64)")
        #expect(
            compileError(nested(10), limits: WhereClauseLimits(maxDepth: 10))
                == "At location 10: expression nesting too deep (the limit is 10)")
        // Operator chains nest to the left, so their length counts.
        #expect(compileError("id = 0" + String(repeating: " + 1", count: 60)) == nil)
        #expect(compileError("id = 0" + String(repeating: " + 1", count: 61))?.hasSuffix("(the limit is 64)") == true)
    }

    @Test func syntaxNodes() {
        let limits = WhereClauseLimits(maxNodes: 100)
        let terms = { (count: Int) in (0..<count).map { _ in "b" }.joined(separator: " OR ") }
        #expect(compileError(terms(99), limits: limits) == nil)
        #expect(compileError(terms(100), limits: limits) == "where clause is too complex (101 syntax nodes; the limit is 100)")
        #expect(compileError(Self.inList(10_000)) == nil)
    }

    @Test func inListItems() {
        #expect(compileError(Self.inList(10_000)) == nil)
        #expect(compileError(Self.inList(10_001)) == "At location 3: IN list has 10001 items; the limit is 10000")
        #expect(
            compileError("id IN (1, (2), 3)", limits: WhereClauseLimits(maxListItems: 2))
                == "At location 3: IN list has 3 items; the limit is 2")
    }

    @Test func arrayElements() {
        let limits = WhereClauseLimits(maxArrayElements: 3)
        #expect(compileError("ia = ARRAY[1, 2, 3]", limits: limits) == nil)
        #expect(compileError("ia = ARRAY[1, 2, 3, 4, 5]", limits: limits) == "At location 5: ARRAY has 5 elements; the limit is 3")
        #expect(compileError("ia = '{1,2,3}'", limits: limits) == nil)
        #expect(compileError("ia = '{1,2,3,4}'", limits: limits) == "At location 5: array literal has 4 elements; the limit is 3")
        #expect(
            compileError("ia = $1", params: [1: "{{1,2},{3,4}}"], limits: limits)
                == "At location 5: array literal has 4 elements; the limit is 3")
    }

    @Test func parameters() {
        let limits = WhereClauseLimits(maxParameters: 2)
        #expect(compileError("id = $2", params: [1: "1", 2: "2"], limits: limits) == nil)
        #expect(compileError("id = $1", params: [1: "1", 2: "2", 3: "3"], limits: limits) == "too many parameters (3; the limit is 2)")
        #expect(
            compileError("id = $3", params: [1: "1"], limits: limits) == "At location 5: parameter $3 is beyond the limit of 2 parameters")
        #expect(compileError("id = $99999999", params: [1: "1"])?.hasSuffix("is beyond the limit of 10000 parameters") == true)
    }

    @Test func textResults() throws {
        let limits = WhereClauseLimits(maxResultBytes: 10)
        #expect(compileError("t = 'abcde' || 'fghij'", limits: limits) == nil)
        #expect(
            compileError("t = 'abcde' || 'fghijk'", limits: limits) == "At location 12: text result too long (11 bytes; the limit is 10)")
        // concat is STABLE: it is not folded, so the limit answers per row.
        let clause = try WhereClause.compile("concat(t, t, t) = 'x'", columns: testColumns, limits: limits)
        #expect(try clause.evaluateTristate(row: ["t": "abc"]) == false)
        #expect(throws: WhereClauseError.textResultTooLong(12, limit: 10)) { try clause.evaluateTristate(row: ["t": "abcd"]) }
        // A row's text grown past the default 1 MiB is an evaluation error: not in the shape.
        let big = String(repeating: "x", count: 600_000)
        let doubled = try WhereClause.compile("t || t = 'x'", columns: testColumns)
        #expect(doubled.evaluate(row: ["t": big]) == false)
        #expect(throws: WhereClauseError.textResultTooLong(1_200_000, limit: 1 << 20)) { try doubled.evaluateTristate(row: ["t": big]) }
    }

    @Test func arrayResults() throws {
        let limits = WhereClauseLimits(maxResultBytes: 64)  // 4 elements
        let clause = try WhereClause.compile("ia || ia = ia", columns: testColumns, limits: limits)
        #expect(try clause.evaluateTristate(row: ["ia": "{1,2}"]) == false)
        #expect(throws: WhereClauseError.arrayResultTooLarge(6, limit: 4)) { try clause.evaluateTristate(row: ["ia": "{1,2,3}"]) }
        #expect(
            compileError("ia = array_append(ARRAY[1, 2, 3, 4], 5)", limits: limits)
                == "At location 5: array result too large (5 elements; the limit is 4)")
        #expect(compileError("ARRAY[ia, ia, ia] IS NULL", limits: limits) == nil)
        let nested = try WhereClause.compile("ARRAY[ia, ia, ia] IS NULL", columns: testColumns, limits: limits)
        #expect(throws: WhereClauseError.arrayResultTooLarge(6, limit: 4)) { try nested.evaluateTristate(row: ["ia": "{1,2}"]) }
    }

    @Test func numericDigits() {
        #expect(compileError("n > 10::numeric ^ 4000") == nil)
        #expect(compileError("n > 10::numeric ^ 5000") == "At location 16: numeric result too large (about 5017 digits; the limit is 4096)")
        #expect(compileError("n > 10::numeric ^ 5000", limits: WhereClauseLimits(maxNumericDigits: 6000)) == nil)
    }

    @Test func defaultsAreDocumented() {
        let limits = WhereClauseLimits.default
        #expect(limits.maxLength == 65_536 && limits.maxDepth == 64 && limits.maxNodes == 20_000)
        #expect(limits.maxListItems == 10_000 && limits.maxArrayElements == 10_000 && limits.maxParameters == 10_000)
        #expect(limits.maxResultBytes == 1_048_576 && limits.maxNumericDigits == 4096)
    }
}
