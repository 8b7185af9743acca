import Testing

@testable import WhereClause

struct WhereClauseTypeCheckerTests {
    @Test(arguments: [
        ("foo = 1", "At location 0: unknown reference foo"),
        ("id = 1 AND \"Foo\" = 1", "At location 11: unknown reference Foo"),
        ("t > 1", "At location 2: operator does not exist: text > integer"),
        ("id = true", "At location 3: operator does not exist: integer = boolean"),
        ("u < 1.5", "At location 2: operator does not exist: uuid < numeric"),
        ("d + '1'", "At location 2: operator is not unique: date + unknown"),
        ("id = 'test'", "At location 5: invalid syntax for type int4: test"),
        ("d = '2024-02-30'", "At location 4: invalid syntax for type date: 2024-02-30"),
        ("ia = '{1,x}'", "At location 5: invalid syntax for type int4[]: {1,x}"),
        ("id = $2", "At location 5: parameter $2 was not provided"),
        ("id + 1", "WHERE clause must return a boolean"),
        ("t", "WHERE clause must return a boolean"),
        ("id AND b", "At location 0: argument of AND must be type boolean, not type integer"),
        ("NOT t", "At location 4: argument of NOT must be type boolean, not type text"),
        ("id IS TRUE", "At location 0: argument of IS TRUE must be type boolean, not type integer"),
        ("mood = 'happy'", "At location 5: operator does not exist: mood = unknown"),
        ("mood IN ('a', 'b')", "At location 5: operator does not exist: mood = unknown"),
        ("mood < mood", "At location 5: operator does not exist: mood < mood"),
        ("'x'::mood = mood", "At location 5: unsupported type mood"),
        ("id::uuid = u", "At location 2: cannot cast type integer to uuid"),
        ("js IS NULL", "At location 0: unsupported type jsonb of column js"),
        ("now() > ts", "At location 0: unknown or unsupported function now/0"),
        ("lower(id) = 'x'", "At location 0: function lower(integer) does not exist"),
        ("coalesce(t, id) = 'x'", "At location 12: COALESCE types text and integer cannot be matched"),
        ("id = ANY(5)", "At location 3: op ANY/ALL (array) requires array on right side"),
        ("ia @> ARRAY[1::int8]", "At location 3: operator does not exist: integer[] @> bigint[]"),
        ("id LIKE 'x'", "At location 3: operator does not exist: integer ~~ unknown"),
        ("id NOT ILIKE 'x'", "At location 7: operator does not exist: integer !~~* unknown"),
        ("id = 1 / 0", "At location 7: division by zero"),
        ("id = 2147483647 + 1", "At location 16: integer out of range"),
        ("i2 = 'x' AND true", "At location 5: invalid syntax for type int2: x"),
        ("'abc' LIKE 'a\\' OR b", "At location 6: LIKE pattern must not end with escape character"),
    ])
    func errors(text: String, message: String) {
        #expect(compileError(text) == message)
    }

    @Test func literalTyping() throws {
        // Integer literals: int4, then int8, then numeric.
        #expect(try typeOf("2147483647") == .int4)
        #expect(try typeOf("2147483648") == .int8)
        #expect(try typeOf("-2147483648") == .int4)
        #expect(try typeOf("9223372036854775808") == .numeric)
        #expect(try typeOf("1.0") == .numeric)
        #expect(try typeOf("1e3") == .numeric)
        #expect(try typeOf("'x'") == .unknown)
        #expect(try typeOf("ARRAY['a', 'b']") == SQLType(.text, array: true))
    }

    /// Operator resolution picks PostgreSQL's operand types.
    @Test(arguments: [
        ("i2 + i2", "smallint"), ("i2 + id", "integer"), ("id + i8", "bigint"), ("id + 1.5", "numeric"),
        ("f4 + id", "double precision"), ("f4 + f4", "real"), ("f4 + 1.5", "double precision"), ("n + f8", "double precision"),
        ("d - d", "integer"), ("d + 1", "date"), ("d + iv", "timestamp without time zone"), ("d + tm", "timestamp without time zone"),
        ("tz - ts", "interval"), ("tm + '1 hour'", "time without time zone"), ("iv * 2", "interval"),
        ("c || 'x'", "text"), ("t || id", "text"), ("id || t", "text"), ("ia || id", "integer[]"), ("ia || ARRAY[1::int8]", "bigint[]"),
        ("2 ^ 3", "double precision"), ("n ^ 2", "numeric"), ("coalesce(i2, i8)", "bigint"), ("greatest(1, 2.5, f4)", "real"),
        ("int4('12')", "integer"), ("array_ndims(ia)", "integer"), ("concat(t, 1)", "text"), ("ia[1]", "integer"),
    ])
    func resultTypes(text: String, type: String) throws {
        #expect(try typeOf(text).description == type)
    }

    @Test func implicitCoercionsBecomeCasts() throws {
        // bpchar = text compares as text (text is the preferred string type).
        let clause = try WhereClause.compile("c = t", columns: testColumns)
        #expect(clause.normalized == "((\"c\")::text = \"t\")")
        let numeric = try WhereClause.compile("id > 1.5", columns: testColumns)
        #expect(numeric.normalized == "((\"id\")::numeric > '1.5'::numeric)")
    }

    @Test func parametersAreTypedByContext() throws {
        let clause = try WhereClause.compile(
            "id = $1 AND t = $2 AND d > $3", columns: testColumns, params: [1: "42", 2: "it's", 3: "2024-01-01"])
        #expect(clause.evaluate(row: ["id": "42", "t": "it's", "d": "2024-06-01"]))
        #expect(clause.normalized == "((\"id\" = '42'::int4) AND (\"t\" = 'it''s'::text) AND (\"d\" > '2024-01-01'::date))")
        #expect(compileError("id = $1", params: [1: "abc"]) == "At location 5: invalid syntax for type int4: abc")
    }

    @Test func enumsWorkAfterCastToText() throws {
        #expect(try evaluate("mood::text = 'happy'", ["mood": "happy"]) == true)
        #expect(try evaluate("mood::text IN ('sad', 'ok')", ["mood": "happy"]) == false)
        #expect(try evaluate("mood = mood", ["mood": "ok"]) == true)
        #expect(try evaluate("mood IS NULL", [:]) == true)
    }

    @Test func quotedAndMixedCaseColumns() throws {
        #expect(try evaluate("\"Mixed Case\" = 'x'", ["Mixed Case": "x"]) == true)
        #expect(compileError("Mixed = 'x'") == "At location 0: unknown reference mixed")
    }

    func typeOf(_ expression: String) throws -> SQLType {
        var checker = TypeChecker(columns: testColumns, parameters: [:])
        return try checker.check(try Parser.parse(expression)).type
    }
}
