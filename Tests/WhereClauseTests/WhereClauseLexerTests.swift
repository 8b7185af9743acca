import Testing

@testable import WhereClause

struct WhereClauseLexerTests {
    func kinds(_ text: String) throws -> [Token.Kind] {
        try Lexer.tokenize(text).map(\.kind)
    }

    @Test func identifiersAreLowerCasedUnlessQuoted() throws {
        #expect(
            try kinds("FooBar \"FooBar\" \"a\"\"b\"") == [
                .identifier("foobar", quoted: false), .identifier("FooBar", quoted: true), .identifier("a\"b", quoted: true), .end,
            ])
        #expect(try kinds("ÉtÉ") == [.identifier("ÉtÉ", quoted: false), .end])
    }

    @Test func literalsAndParameters() throws {
        #expect(
            try kinds("'it''s' 42 1.5e-3 .5 $12") == [
                .string("it's"), .number("42"), .number("1.5e-3"), .number(".5"), .parameter(12), .end,
            ])
        #expect(try kinds("'' 'é😀'") == [.string(""), .string("é😀"), .end])
    }

    @Test func operatorsLongestMatchFirst() throws {
        #expect(
            try kinds("a<>b!=c<=d>=e@>f<@g&&h||i::int4") == [
                .identifier("a", quoted: false), .op("<>"), .identifier("b", quoted: false), .op("!="), .identifier("c", quoted: false),
                .op("<="), .identifier("d", quoted: false), .op(">="), .identifier("e", quoted: false), .op("@>"),
                .identifier("f", quoted: false), .op("<@"), .identifier("g", quoted: false), .op("&&"), .identifier("h", quoted: false),
                .op("||"), .identifier("i", quoted: false), .doubleColon, .identifier("int4", quoted: false), .end,
            ])
    }

    @Test func commentsAreSkipped() throws {
        #expect(try kinds("a -- comment\n = /* x /* nested */ */ 1") == [.identifier("a", quoted: false), .op("="), .number("1"), .end])
    }

    @Test func locationsAreCharacterOffsets() throws {
        let tokens = try Lexer.tokenize("é = 'x' AND \"Q\"")
        #expect(tokens.map(\.location) == [0, 2, 4, 8, 12, 15])
    }

    @Test(arguments: [
        ("'abc", "At location 0: unterminated quoted string at or near \"'abc\""),
        ("x = \"ab", "At location 4: unterminated quoted identifier at or near \"\"ab\""),
        ("\"\" = 1", "At location 0: zero-length delimited identifier at or near \"\"\"\""),
        ("a = $", "At location 4: syntax error at or near \"$\""),
        ("a = $1x", "At location 4: trailing junk after parameter at or near \"$1x\""),
        ("a ? b", "At location 2: syntax error at or near \"?\""),
        ("/* open", "At location 0: unterminated /* comment at or near \"/* open\""),
        ("b = B'101'", "At location 4: BitString values are not supported"),
    ])
    func lexicalErrors(text: String, message: String) {
        #expect(compileError(text) == message)
    }
}
