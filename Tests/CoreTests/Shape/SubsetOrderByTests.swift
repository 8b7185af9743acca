import ConduitCore
import Testing

/// `order_by` of subset snapshots: only column references, rendered with quoted identifiers.
struct SubsetOrderByTests {
    @Test func columnsWithDirectionsAndNulls() throws {
        let parsed = try SubsetOrderBy.parse(#"Priority DESC NULLS LAST, "Title" asc, id nulls first"#)
        #expect(parsed.terms.map(\.column) == ["priority", "Title", "id"])
        #expect(parsed.terms.map(\.descending) == [true, false, false])
        #expect(parsed.terms.map(\.nullsFirst) == [false, nil, true])
        #expect(parsed.sql(quote: Identifier.quote) == #""priority" DESC NULLS LAST, "Title" ASC, "id" ASC NULLS FIRST"#)
        let quoted = try SubsetOrderBy.parse(#""a""b""#)
        #expect(quoted.sql(quote: Identifier.quote) == #""a""b" ASC"#)
    }

    @Test(arguments: [
        ("lower(title)", "At location 18: FuncCall expressions are not allowed in ORDER BY clauses"),
        ("id::text", "At location 20: TypeCast expressions are not allowed in ORDER BY clauses"),
        ("id + 1", "At location 21: A_Expr expressions are not allowed in ORDER BY clauses"),
        ("(SELECT 1)", "At location 18: A_Expr expressions are not allowed in ORDER BY clauses"),
        ("CASE WHEN a THEN 1 END", "At location 18: CaseExpr expressions are not allowed in ORDER BY clauses"),
        ("1", "At location 18: A_Const expressions are not allowed in ORDER BY clauses"),
        ("'a'", "At location 18: A_Const expressions are not allowed in ORDER BY clauses"),
        ("$1", "At location 18: parameter $1 is not supported in ORDER BY clauses"),
        ("id; DROP TABLE t", "Unexpected `;` in order by"),
        ("id DESC DESC", "At location 26: syntax error at or near \"DESC\""),
        ("id NULLS", "At location 21: syntax error at end of input"),
        ("", "At location 18: syntax error at end of input"),
        ("a,", "At location 18: syntax error at end of input"),
        (#""unterminated"#, "At location 18: unterminated quoted identifier"),
        ("t.id", "At location 18: unknown reference t."),
    ])
    func rejects(text: String, message: String) {
        #expect(throws: IdentifierError(message)) { try SubsetOrderBy.parse(text) }
    }
}
