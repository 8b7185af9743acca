import Postgres
import TestSupport
import Testing

/// ``CopyTextRow`` against the COPY text format of PostgreSQL 15's documentation, and against a
/// test-side encoder that writes values exactly as `COPY … TO` does (`CopyAttributeOutText`).
struct CopyTextRowTests {
    /// Parses `line` with `row` and copies every column out (nil for NULL).
    static func columns(_ line: [UInt8], with row: inout CopyTextRow) throws -> [[UInt8]?] {
        try line.withUnsafeBytes { bytes in
            try row.parse(bytes)
            return (0..<row.count).map { column in row.withValue(at: column) { $0.map { Array($0) } } }
        }
    }

    static func columns(_ line: String) throws -> [String?] {
        var row = CopyTextRow()
        return try columns(Array(line.utf8), with: &row).map { $0.map { String(decoding: $0, as: UTF8.self) } }
    }

    @Test func columnsAreSeparatedByTabs() throws {
        #expect(try Self.columns("1\tname one\tx@example.com\n") == ["1", "name one", "x@example.com"])
        #expect(try Self.columns("only\n") == ["only"])
    }

    /// `\N` alone is NULL; an empty column is the empty string; `\\N` is the text `\N`.
    @Test func nullIsOnlyABareBackslashN() throws {
        #expect(try Self.columns("\\N\t\t\\N\n") == [nil, "", nil])
        #expect(try Self.columns("\n") == [""])
        #expect(try Self.columns("\\\\N\t\\Nx\tN\n") == ["\\N", "Nx", "N"])
        #expect(try Self.columns("a\t\\N\n") == ["a", nil])
    }

    /// Empty columns at either end and in a row of many.
    @Test func emptyAndTrailingColumns() throws {
        #expect(try Self.columns("a\tb\t\n") == ["a", "b", ""])
        #expect(try Self.columns("\ta\n") == ["", "a"])
        #expect(try Self.columns("\t\t\n") == ["", "", ""])
        #expect(try Self.columns("x\\t\t\t\n") == ["x\t", "", ""])
        let many = (0..<40).map { String($0) }
        #expect(try Self.columns(many.joined(separator: "\t") + "\n") == many)
    }

    /// Tabs at every offset in rows of many lengths, with and without escapes (a row with a
    /// backslash takes the unescaping path for all its columns).
    @Test func tabsAndBackslashesAtEveryOffset() throws {
        for first in 0...17 {
            for second in 0...17 {
                let values = [String(repeating: "a", count: first), String(repeating: "é", count: second / 2) + "b", "c"]
                #expect(try Self.columns(values.joined(separator: "\t") + "\n") == values)
                let escaped = [values[0] + "\\t" + values[1], "\\N", values[2]]
                #expect(try Self.columns(escaped.joined(separator: "\t") + "\n") == [values[0] + "\t" + values[1], nil, "c"])
            }
        }
    }

    @Test func everyLetterEscape() throws {
        var row = CopyTextRow()
        let parsed = try Self.columns(Array("\\b\\f\\n\\r\\t\\v\\\\\n".utf8), with: &row)
        #expect(parsed == [[0x08, 0x0C, 0x0A, 0x0D, 0x09, 0x0B, 0x5C]])
    }

    /// One to three octal digits (low eight bits kept); a fourth digit is a character of its own.
    @Test func octalEscapes() throws {
        var row = CopyTextRow()
        let parsed = try Self.columns(Array("\\101\\0\\7\\12x\\777\\1012\t\\0\\00\\000\\0000\n".utf8), with: &row)
        #expect(parsed == [[0x41, 0x00, 0x07, 0x0A, 0x78, 0xFF, 0x41, 0x32], [0x00, 0x00, 0x00, 0x00, 0x30]])
        // 8 is not an octal digit: it ends `\1`, and `\8` is a plain 8.
        #expect(try Self.columns("\\18\\8\n") == ["\u{1}88"])
    }

    /// `\x` and one or two hex digits (either case); `\x` before anything else is `x`.
    @Test func hexEscapes() throws {
        var row = CopyTextRow()
        let parsed = try Self.columns(Array("\\x41\\x4a\\x4A\\xA\\xg\\x\t\\x7\\xfff\t\\x\n".utf8), with: &row)
        #expect(parsed == [[0x41, 0x4A, 0x4A, 0x0A, 0x78, 0x67, 0x78], [0x07, 0xFF, 0x66], [0x78]])
    }

    /// A backslash before any other character stands for that character, even a tab (which then
    /// belongs to the column) or the first byte of a multibyte character.
    @Test func otherEscapedCharactersStandForThemselves() throws {
        #expect(try Self.columns("\\a\\Z\\\"\\'\n") == ["aZ\"'"])
        #expect(try Self.columns("a\\\tb\tc\n") == ["a\tb", "c"])
        #expect(try Self.columns("\\é\\日\n") == ["é日"])
    }

    @Test func multibyteUTF8() throws {
        #expect(try Self.columns("é\t日本語\t😀\tmañana\n") == ["é", "日本語", "😀", "mañana"])
        #expect(try Self.columns("日\\t本\t\\N\t😀\\n\n") == ["日\t本", nil, "😀\n"])
    }

    /// Values holding tabs, newlines, carriage returns and backslashes, as COPY writes them.
    @Test func embeddedSeparatorsAndBackslashes() throws {
        let values = ["line1\nline2\tcol\\back", "C:\\temp\\new", "\r\n", "\\N", "\\", "\t"]
        let line = values.map(Self.encode).joined(separator: "\t") + "\n"
        #expect(try Self.columns(line) == values)
    }

    /// One value parses every row of a copy: rows with and without escapes, of different widths,
    /// each read correctly after the one before.
    @Test func oneValueParsesRowAfterRow() throws {
        var row = CopyTextRow()
        let lines: [(String, [String?])] = [
            ("a\\tb\t\\N\tc\n", ["a\tb", nil, "c"]),
            ("plain\ttext\n", ["plain", "text"]),
            ("\\\\\n", ["\\"]),
            ("1\t2\t3\t4\n", ["1", "2", "3", "4"]),
        ]
        for (line, expected) in lines + lines {
            let parsed = try Self.columns(Array(line.utf8), with: &row).map { $0.map { String(decoding: $0, as: UTF8.self) } }
            #expect(parsed == expected, "\(line)")
        }
    }

    @Test func malformedRowsThrow() {
        #expect(throws: PostgresError.self) { try Self.columns("a\tb") }
        #expect(throws: PostgresError.self) { try Self.columns("") }
        #expect(throws: PostgresError.self) { try Self.columns("a\\\n") }
        #expect(throws: PostgresError.self) { try Self.columns("\\N\t\\\n") }
    }

    /// Random values (NULLs, empty strings, every separator and escape character, multibyte
    /// text, raw control bytes) encoded as COPY encodes them parse back to themselves.
    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64]) func encodedRowsParseBack(seed: UInt64) throws {
        var random = SeededTestRandom(seed: seed)
        let alphabet: [String] = [
            "a", "N", "x", "0", "7", "\t", "\n", "\r", "\\", "\u{8}", "\u{C}", "\u{B}", "\u{1}", "é", "日", "😀", " ", "\"",
        ]
        var row = CopyTextRow()
        for _ in 0..<500 {
            let values: [String?] = (0..<Int.random(in: 1...8, using: &random)).map { _ in
                if Int.random(in: 0..<6, using: &random) == 0 { return nil }
                return (0..<Int.random(in: 0...6, using: &random)).map { _ in alphabet.randomElement(using: &random)! }.joined()
            }
            let line = values.map { $0.map(Self.encode) ?? "\\N" }.joined(separator: "\t") + "\n"
            let parsed = try Self.columns(Array(line.utf8), with: &row).map { $0.map { String(decoding: $0, as: UTF8.self) } }
            #expect(parsed == values, "\(line.debugDescription)")
        }
    }

    /// A value as `COPY … TO` writes it in text format (PostgreSQL's `CopyAttributeOutText`):
    /// backslash, tab, newline, carriage return, backspace, form feed and vertical tab escaped;
    /// every other byte as it is.
    static func encode(_ value: String) -> String {
        var out = ""
        for character in value.unicodeScalars {
            switch character {
            case "\\": out += "\\\\"
            case "\t": out += "\\t"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\u{8}": out += "\\b"
            case "\u{C}": out += "\\f"
            case "\u{B}": out += "\\v"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }
}
