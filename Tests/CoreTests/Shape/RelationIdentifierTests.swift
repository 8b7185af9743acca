import Testing

@testable import ConduitCore

struct RelationIdentifierTests {
    @Test(arguments: [
        ("items", "public", "items"),
        ("FooBar", "public", "foobar"),
        ("\"FooBar\"", "public", "FooBar"),
        ("\"foo.woah\".\"bar\"", "foo.woah", "bar"),
        ("\"foo\".bar", "foo", "bar"),
        ("Sch.Tbl", "sch", "tbl"),
        ("\"has\"\"quote\"", "public", "has\"quote"),
        ("_x$1", "public", "_x$1"),
        ("Ünïcode", "public", "Ünïcode"),
    ])
    func parsesValidRelations(text: String, schema: String, table: String) throws {
        let relation = try RelationIdentifier(parsing: text)
        #expect(relation == RelationIdentifier(schema: schema, table: table))
    }

    @Test(arguments: [
        (".invalid", "Invalid zero-length delimited identifier"),
        ("a.b.c", "Invalid relation identifier, too many delimiters: a.b.c"),
        ("\"foo\".\"bar", "Invalid unquoted identifier contains special characters: \"bar"),
        ("\"\"", "Invalid zero-length delimited identifier"),
        ("\"", "Invalid zero-length delimited identifier"),
        ("\"a\"b\"", "Invalid identifier with unescaped quote: a\"b"),
        ("1abc", "Invalid unquoted identifier contains special characters: 1abc"),
        ("foo bar", "Invalid unquoted identifier contains special characters: foo bar"),
        ("foo-bar", "Invalid unquoted identifier contains special characters: foo-bar"),
        (String(repeating: "a", count: 64), "Identifier is too long (max length is 63)"),
        ("\"" + String(repeating: "B", count: 64) + "\"", "Identifier is too long (max length is 63)"),
    ])
    func rejectsInvalidRelations(text: String, message: String) {
        #expect(throws: IdentifierError(message)) { try RelationIdentifier(parsing: text) }
    }

    @Test func acceptsSixtyThreeCharacters() throws {
        let name = String(repeating: "a", count: 63)
        #expect(try RelationIdentifier(parsing: name).table == name)
    }

    @Test func quotesForDisplay() {
        #expect(RelationIdentifier(schema: "public", table: "a\"b").description == "\"public\".\"a\"\"b\"")
    }
}

struct ColumnListTests {
    @Test(arguments: [
        ("id,title", ["id", "title"]),
        ("\"id\",\"title\"", ["id", "title"]),
        ("Title,ID", ["id", "title"]),
        ("\"Title\",id", ["Title", "id"]),
        ("\"has,comma\",id", ["has,comma", "id"]),
        ("\"has\"\"quote\",id", ["has\"quote", "id"]),
        ("id,id", ["id"]),
        ("b,a", ["a", "b"]),
    ])
    func parsesColumnLists(text: String, columns: [String]) throws {
        #expect(try ColumnList.parse(text) == columns)
    }

    @Test(arguments: [
        ("foo,", "Invalid zero-length delimited identifier"),
        (",,,", "Invalid zero-length delimited identifier"),
        ("id, title", "Invalid unquoted identifier contains special characters:  title"),
        ("\"a\"b\"", "Invalid identifier with unescaped quote: a\"b"),
    ])
    func rejectsInvalidColumnLists(text: String, message: String) {
        #expect(throws: IdentifierError(message)) { try ColumnList.parse(text) }
    }
}
