import Testing

@testable import WhereClause

struct WhereClauseRenderingTests {
    @Test func everyConstantIsABindParameter() throws {
        let clause = try WhereClause.compile(
            "\"Mixed Case\" = $1 AND id > 5 AND t LIKE 'a''%' AND ia @> '{1,2}' AND b", columns: testColumns,
            params: [1: "x\"; DROP TABLE users; --"])
        let (sql, parameters) = clause.sql()
        #expect(
            sql == "((\"Mixed Case\" = $1::text) AND (\"id\" > $2::int4) AND (\"t\" LIKE $3::text) AND (\"ia\" @> $4::int4[]) AND \"b\")")
        #expect(parameters == ["x\"; DROP TABLE users; --", "5", "a'%", "{1,2}"])
    }

    @Test func parameterNumberingCanStartLater() throws {
        let clause = try WhereClause.compile("id = 1 OR id = 2", columns: testColumns)
        #expect(clause.sql(firstParameterIndex: 4).sql == "((\"id\" = $4::int4) OR (\"id\" = $5::int4))")
    }

    @Test func identifiersAreRequoted() throws {
        let columns = [WhereColumn(name: "we\"ird", typeName: "int4")]
        let clause = try WhereClause.compile("\"we\"\"ird\" = 1", columns: columns)
        #expect(clause.sql().sql == "(\"we\"\"ird\" = $1::int4)")
    }

    @Test func textOrderingUsesTheCCollation() throws {
        let clause = try WhereClause.compile("t < 'b' AND t = 'c'", columns: testColumns)
        #expect(clause.normalized == "((\"t\" < 'b'::text COLLATE \"C\") AND (\"t\" = 'c'::text))")
    }

    @Test func nullsAndFoldedConstants() throws {
        let clause = try WhereClause.compile("id = NULL OR id = 1 + 2 OR f8 > 2 ^ 10", columns: testColumns)
        // A strict operator with a NULL constant input folds to NULL, as in PostgreSQL's planner.
        #expect(clause.normalized == "(NULL::bool OR (\"id\" = '3'::int4) OR (\"f8\" > '1024'::float8))")
        #expect(clause.sql().parameters == ["3", "1024"])
    }

    @Test(arguments: [
        ("id = 5", "id = $1", [1: "5"]),
        ("id = 5", "(id = '5')", [:]),
        ("id = 5", "ID=5", [:]),
        ("x_between", "id >= 1 AND id <= 10", [:]),
        ("t IN ('a', 'b')", "t IN ($1, $2)", [1: "a", 2: "b"]),
        ("d = '2024-01-01'", "d = '2024-1-1'::date", [:]),
        ("iv = '1 day'", "iv = 'P1D'", [:]),
    ])
    func equivalentClausesNormalizeTheSame(left: String, right: String, params: [Int: String]) throws {
        let leftText = left == "x_between" ? "id BETWEEN 1 AND 10" : left
        let a = try WhereClause.compile(leftText, columns: testColumns)
        let b = try WhereClause.compile(right, columns: testColumns, params: params)
        #expect(a.normalized == b.normalized)
    }

    @Test func differentClausesNormalizeDifferently() throws {
        let a = try WhereClause.compile("id = 5", columns: testColumns)
        let b = try WhereClause.compile("id = 6", columns: testColumns)
        let c = try WhereClause.compile("i8 = 5", columns: testColumns)
        #expect(Set([a.normalized, b.normalized, c.normalized]).count == 3)
    }

    @Test func referencedColumnsAreListedOnceInSlotOrder() throws {
        let clause = try WhereClause.compile("t = 'x' AND id > 1 AND t <> 'y'", columns: testColumns)
        #expect(clause.referencedColumns.map(\.name) == ["t", "id"])
        #expect(clause.evaluate(values: ["x", "2"]))
        #expect(!clause.evaluate(values: ["y", "2"]))
        #expect(!clause.evaluate(values: ["x"]))
    }
}

struct WhereClauseIndexableTests {
    func conditions(_ text: String, params: [Int: String] = [:]) throws -> [IndexableCondition] {
        try WhereClause.compile(text, columns: testColumns, params: params).indexableConditions
    }

    @Test func equalitiesInTopLevelConjuncts() throws {
        #expect(try conditions("id = 5") == [.equals(column: "id", value: "5")])
        #expect(try conditions("'abc' = t AND id > 3") == [.equals(column: "t", value: "abc")])
        #expect(
            try conditions("u = 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11' AND b = true") == [
                .equals(column: "u", value: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), .equals(column: "b", value: "t"),
            ])
        #expect(try conditions("i2 = 7") == [.equals(column: "i2", value: "7")])
        #expect(try conditions("v = $1", params: [1: "x"]) == [.equals(column: "v", value: "x")])
        #expect(try conditions("d = '2024-1-2'") == [.equals(column: "d", value: "2024-01-02")])
        #expect(
            try conditions("b AND NOT b AND b IS FALSE") == [
                .equals(column: "b", value: "t"), .equals(column: "b", value: "f"), .equals(column: "b", value: "f"),
            ])
    }

    @Test func inListsAndArrays() throws {
        #expect(try conditions("id IN (1, 2, NULL)") == [.oneOf(column: "id", values: ["1", "2"])])
        #expect(try conditions("3 = ANY(ia)") == [.arrayContains(column: "ia", values: ["3"])])
        #expect(try conditions("ia @> '{1,2}'") == [.arrayContains(column: "ia", values: ["1", "2"])])
        #expect(try conditions("ARRAY['x'] <@ ta") == [.arrayContains(column: "ta", values: ["x"])])
    }

    @Test func notIndexed() throws {
        #expect(try conditions("id = 5 OR id = 6").isEmpty)
        #expect(try conditions("n = 1").isEmpty)
        #expect(try conditions("f8 = 1").isEmpty)
        #expect(try conditions("c = 'x'").isEmpty)
        #expect(try conditions("ts = '2024-01-01'").isEmpty)
        #expect(try conditions("id + 1 = 5").isEmpty)
        #expect(try conditions("id NOT IN (1, 2)").isEmpty)
        #expect(try conditions("ia @> '{1,NULL}'").isEmpty)
        #expect(try conditions("mood::text = 'x'").isEmpty)
        #expect(try conditions("id = NULL").isEmpty)
    }

    @Test func admitsMatchesRowText() throws {
        let conditions = try conditions("id IN (1, 2) AND ia @> '{3}' AND t = 'x'")
        #expect(conditions.map(\.column) == ["id", "ia", "t"])
        #expect(conditions[0].admits("2"))
        #expect(!conditions[0].admits(nil))
        #expect(conditions[1].admits("{1,3}"))
        #expect(!conditions[1].admits("{1,NULL}"))
        #expect(!conditions[2].admits("X"))
    }
}

struct WhereClauseExactConditionTests {
    /// Row texts to try each exact clause on, by column: matches, near misses and NULL, each
    /// spelled as PostgreSQL prints the column's type (pgoutput sends nothing else: `05`, `1` for
    /// a boolean or an upper-case uuid never arrive, and the evaluator would read them as equal).
    static let texts: [String: [String?]] = {
        let integers: [String?] = [nil, "5", "-5", "6", "50", "1", "2", "3"]
        let strings: [String?] = [nil, "", "x", "X", "x ", "a/b", "a/b/", "5"]
        return [
            "id": integers, "i8": integers, "t": strings, "v": strings, "b": [nil, "t", "f"],
            "u": [nil, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12"],
            "d": [nil, "2024-01-02", "2024-01-03", "2023-01-02"],
        ]
    }()

    @Test(arguments: [
        "id = 5", "5 = id", "id = $1", "i8::int8 = 5", "id IN (1, 2, NULL)", "t = 'x'", "v = 'a/b'", "b", "NOT b",
        "b IS TRUE", "b IS FALSE", "u = 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'", "d = '2024-1-2'", "t IN ('x')",
    ])
    func exactConditionDecidesLikeTheClause(text: String) throws {
        let clause = try WhereClause.compile(text, columns: testColumns, params: [1: "5"])
        let exact = try #require(clause.exactCondition)
        #expect(clause.referencedColumns.map(\.name) == [exact.column])
        let texts = try #require(Self.texts[exact.column])
        for row in texts {
            #expect(exact.admits(row) == clause.evaluate(values: [row]), "\(text) on \(row ?? "NULL")")
        }
    }

    @Test(arguments: [
        "id = 5 AND t = 'x'", "id = 5 OR id = 6", "3 = ANY(ia)", "ia @> '{1}'", "id > 5", "n = 1", "id NOT IN (1, 2)",
        "b IS NOT TRUE", "id = NULL",
    ])
    func otherClausesAreNotExact(text: String) throws {
        #expect(try WhereClause.compile(text, columns: testColumns).exactCondition == nil)
    }
}

struct WhereClauseParameterKeyTests {
    @Test func validKeys() throws {
        #expect(try validateParamKeys([:]) == [:])
        #expect(try validateParamKeys(["1": "a", "2": "b"]) == [1: "a", 2: "b"])
    }

    @Test(arguments: [
        (["a": "x"], "Parameters can only use numbers as keys"),
        (["-1": "x"], "Parameters can only use numbers as keys"),
        (["1.0": "x"], "Parameters can only use numbers as keys"),
        (["2": "x"], "Parameters must be numbered sequentially, starting from 1"),
        (["1": "x", "3": "y"], "Parameters must be numbered sequentially, starting from 1"),
        (["0": "x"], "Parameters must be numbered sequentially, starting from 1"),
    ])
    func invalidKeys(params: [String: String], message: String) {
        #expect(throws: WhereClauseError(.parameters, location: nil, reason: message)) { try validateParamKeys(params) }
    }
}
