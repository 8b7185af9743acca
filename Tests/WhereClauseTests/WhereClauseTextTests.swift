import Testing

@testable import WhereClause

struct WhereClauseTextTests {
    @Test func textComparesByteWise() throws {
        #expect(try evaluate("t = 'é'", ["t": "é"]) == true)
        // Canonically equivalent but different code points are different text, as in PostgreSQL.
        #expect(try evaluate("t = 'é'", ["t": "e\u{301}"]) == false)
        #expect(try evaluate("t < 'b'", ["t": "B"]) == true)
        #expect(try evaluate("t > 'z'", ["t": "é"]) == true)
        #expect(try evaluate("t = '😀'", ["t": "😀"]) == true)
        #expect(try evaluate("t = ''", ["t": ""]) == true)
        #expect(try evaluate("t || '!' = 'hi!'", ["t": "hi"]) == true)
        #expect(try evaluate("t || id = 'x1'", ["t": "x", "id": "1"]) == true)
        // text || anynonarray is `$1 || $2::text`, so a boolean appends 'true' (concat uses 't').
        #expect(try evaluate("t || b = 'xtrue'", ["t": "x", "b": "t"]) == true)
        #expect(try evaluate("concat(t, NULL, id, b) = 'x1f'", ["t": "x", "id": "1", "b": "f"]) == true)
        #expect(try evaluate("b::text = 'true'", ["b": "t"]) == true)
        #expect(try evaluate("v = 'abc'", ["v": "abc"]) == true)
    }

    @Test func bpcharIgnoresTrailingSpaces() throws {
        #expect(try evaluate("c = 'ab'", ["c": "ab   "]) == true)
        #expect(try evaluate("c = 'ab '::bpchar", ["c": "ab"]) == true)
        #expect(try evaluate("c::text = 'ab'", ["c": "ab   "]) == true)
        #expect(try evaluate("c || 'x' = 'abx'", ["c": "ab  "]) == true)
        // bpchar LIKE keeps the padding (bpcharlike).
        #expect(try evaluate("c LIKE 'ab '", ["c": "ab "]) == true)
        // bpchar = text compares as text: the padding is stripped from the bpchar side only.
        #expect(try evaluate("c = t", ["c": "ab ", "t": "ab "]) == false)
    }

    @Test(arguments: [
        ("abc", "a%", true), ("abc", "%c", true), ("abc", "_b_", true), ("abc", "a_", false), ("abc", "%", true),
        ("", "%", true), ("", "_", false), ("a%b", "a\\%b", true), ("axb", "a\\%b", false), ("a_b", "a\\_b", true),
        ("a\\b", "a\\\\b", true), ("éa", "_a", true), ("😀x", "_x", true), ("abcabc", "%abc", true), ("aaa", "%a%a%a%", true),
        ("ab", "%b%b%", false), ("ABC", "abc", false), ("a\nb", "a_b", true),
    ])
    func like(text: String, pattern: String, matches: Bool) throws {
        let clause = try WhereClause.compile("t LIKE \(SQLRenderer.quoteLiteral(pattern))", columns: testColumns)
        #expect(try clause.evaluateTristate(row: ["t": text]) == matches)
    }

    @Test func ilikeFoldsUnicodeCase() throws {
        #expect(try evaluate("t ILIKE 'abc'", ["t": "ABC"]) == true)
        #expect(try evaluate("t ILIKE 'é%'", ["t": "École"]) == true)
        #expect(try evaluate("t ILIKE '%ΣΑΣ'", ["t": "σασ"]) == true)
        // Per-character mapping like libc's towlower: final sigma is a different letter.
        #expect(try evaluate("t ILIKE '%ΣΑΣ'", ["t": "σας"]) == false)
        #expect(try evaluate("t NOT ILIKE 'x%'", ["t": "X"]) == false)
        #expect(try evaluate("lower(t) = 'ärger'", ["t": "ÄRGER"]) == true)
        #expect(try evaluate("upper(t) = 'ÉTÉ'", ["t": "été"]) == true)
        #expect(try evaluate("ilike(t, 'A%')", ["t": "abc"]) == true)
        #expect(try evaluate("like(t, 'A%')", ["t": "abc"]) == false)
    }

    @Test func likeErrorsOnlyWhenMatchingReachesTheEscape() throws {
        #expect(try evaluate("t LIKE 'b\\'", ["t": "a"]) == false)
        #expect(throws: WhereClauseError.self) { try evaluate("t LIKE 'a\\'", ["t": "ab"]) }
    }

    @Test func uuidAndBool() throws {
        #expect(try evaluate("u = 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'", ["u": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"]) == true)
        #expect(try evaluate("u = '{a0eebc999c0b4ef8bb6d6bb9bd380a11}'", ["u": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"]) == true)
        #expect(try evaluate("u < 'b0000000-0000-0000-0000-000000000000'", ["u": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"]) == true)
        #expect(try evaluate("b", ["b": "t"]) == true)
        #expect(try evaluate("b = 'yes'", ["b": "t"]) == true)
        #expect(try evaluate("NOT b", ["b": "f"]) == true)
        #expect(try evaluate("b > false", ["b": "t"]) == true)
        #expect(try evaluate("b::int4 = 1", ["b": "t"]) == true)
    }
}
