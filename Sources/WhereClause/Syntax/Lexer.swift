/// Splits a where string into ``Token``s.
///
/// Covers the subset of PostgreSQL's lexer the where language needs: identifiers (plain,
/// lower-cased; double-quoted, verbatim with `""` → `"`), string literals with `''` escapes,
/// numbers (integers, decimals, exponents), `$n` parameters, `--` and `/* */` comments and the
/// operators the grammar knows. Locations are offsets in Unicode scalars.
struct Lexer {
    private let scalars: [Unicode.Scalar]
    private var position = 0

    init(_ text: String) {
        self.scalars = Array(text.unicodeScalars)
    }

    /// Lexes the whole input; the last token is always ``Token/Kind/end``.
    static func tokenize(_ text: String) throws(WhereClauseError) -> [Token] {
        var lexer = Lexer(text)
        var tokens: [Token] = []
        while true {
            let token = try lexer.next()
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    private func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        let index = position + offset
        return index < scalars.count ? scalars[index] : nil
    }

    private func text(from start: Int) -> String {
        // One scalar at a time: `append(contentsOf:)` is not specialized for an array slice and
        // instantiated generic metadata on every call, a third of a restart's lexing time.
        var result = String.UnicodeScalarView()
        for scalar in scalars[start..<position] { result.append(scalar) }
        return String(result)
    }

    private mutating func skipTrivia() throws(WhereClauseError) {
        while let c = peek() {
            if Lexer.isWhitespace(c) {
                position += 1
            } else if c == "-", peek(1) == "-" {
                while let d = peek(), d != "\n" { position += 1 }
            } else if c == "/", peek(1) == "*" {
                let start = position
                position += 2
                var depth = 1
                while depth > 0 {
                    guard let d = peek() else {
                        throw .compile(start, "unterminated /* comment at or near \"\(text(from: start))\"")
                    }
                    if d == "*", peek(1) == "/" {
                        depth -= 1
                        position += 2
                    } else if d == "/", peek(1) == "*" {
                        depth += 1
                        position += 2
                    } else {
                        position += 1
                    }
                }
            } else {
                return
            }
        }
    }

    mutating func next() throws(WhereClauseError) -> Token {
        try skipTrivia()
        let start = position
        guard let c = peek() else { return Token(kind: .end, location: start, text: "") }
        func single(_ kind: Token.Kind) -> Token {
            position += 1
            return Token(kind: kind, location: start, text: String(c))
        }
        switch c {
        case "(": return single(.leftParen)
        case ")": return single(.rightParen)
        case "[": return single(.leftBracket)
        case "]": return single(.rightBracket)
        case ",": return single(.comma)
        case ";": return single(.semicolon)
        case "'": return try lexString(start: start)
        case "\"": return try lexQuotedIdentifier(start: start)
        case "$": return try lexParameter(start: start)
        case ":":
            if peek(1) == ":" {
                position += 2
                return Token(kind: .doubleColon, location: start, text: "::")
            }
            return single(.op(":"))
        case ".":
            if let d = peek(1), Lexer.isDigit(d) { return lexNumber(start: start) }
            return single(.dot)
        default:
            if Lexer.isDigit(c) { return lexNumber(start: start) }
            if c == "b" || c == "B" || c == "x" || c == "X", peek(1) == "'" {
                throw .compile(start, "BitString values are not supported")
            }
            if Lexer.isIdentifierStart(c) { return try lexIdentifier(start: start) }
            return try lexOperator(start: start)
        }
    }

    static func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }

    /// Unicode White_Space, with ASCII answered without a property lookup (which dominated
    /// lexing time in a debug build).
    static func isWhitespace(_ c: Unicode.Scalar) -> Bool {
        if c.value < 0x80 { return c.value == 0x20 || (0x09...0x0D).contains(c.value) }
        return c.properties.isWhitespace
    }

    static func isIdentifierStart(_ c: Unicode.Scalar) -> Bool {
        (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "_" || c.value >= 0x80
    }

    static func isIdentifierPart(_ c: Unicode.Scalar) -> Bool {
        isIdentifierStart(c) || isDigit(c) || c == "$"
    }

    private mutating func lexIdentifier(start: Int) throws(WhereClauseError) -> Token {
        var name = String.UnicodeScalarView()
        while let c = peek(), Lexer.isIdentifierPart(c) {
            // PostgreSQL lower-cases only ASCII letters of unquoted identifiers.
            if c >= "A" && c <= "Z", let lower = Unicode.Scalar(c.value + 32) {
                name.append(lower)
            } else {
                name.append(c)
            }
            position += 1
        }
        return Token(kind: .identifier(String(name), quoted: false), location: start, text: text(from: start))
    }

    private mutating func lexQuotedIdentifier(start: Int) throws(WhereClauseError) -> Token {
        position += 1
        var name = String.UnicodeScalarView()
        while true {
            guard let c = peek() else {
                throw .compile(start, "unterminated quoted identifier at or near \"\(text(from: start))\"")
            }
            position += 1
            if c == "\"" {
                if peek() == "\"" {
                    name.append("\"")
                    position += 1
                    continue
                }
                break
            }
            name.append(c)
        }
        if name.isEmpty {
            throw .compile(start, "zero-length delimited identifier at or near \"\"\"\"")
        }
        return Token(kind: .identifier(String(name), quoted: true), location: start, text: text(from: start))
    }

    private mutating func lexString(start: Int) throws(WhereClauseError) -> Token {
        position += 1
        var value = String.UnicodeScalarView()
        while true {
            guard let c = peek() else {
                throw .compile(start, "unterminated quoted string at or near \"\(text(from: start))\"")
            }
            position += 1
            if c == "'" {
                if peek() == "'" {
                    value.append("'")
                    position += 1
                    continue
                }
                break
            }
            value.append(c)
        }
        return Token(kind: .string(String(value)), location: start, text: text(from: start))
    }

    private mutating func lexParameter(start: Int) throws(WhereClauseError) -> Token {
        position += 1
        var digits = 0
        var value = 0
        var overflow = false
        while let c = peek(), Lexer.isDigit(c) {
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (plus, o2) = times.addingReportingOverflow(Int(c.value - 48))
            overflow = overflow || o1 || o2
            value = plus
            digits += 1
            position += 1
        }
        guard digits > 0, !overflow, value <= Int(Int32.max) else {
            if let c = peek(), Lexer.isIdentifierPart(c) { position += 1 }
            throw .compile(start, "syntax error at or near \"\(text(from: start))\"")
        }
        if let c = peek(), Lexer.isIdentifierStart(c) {
            position += 1
            throw .compile(start, "trailing junk after parameter at or near \"\(text(from: start))\"")
        }
        return Token(kind: .parameter(value), location: start, text: text(from: start))
    }

    private mutating func lexNumber(start: Int) -> Token {
        while let c = peek(), Lexer.isDigit(c) { position += 1 }
        if peek() == ".", peek(1) != "." {
            position += 1
            while let c = peek(), Lexer.isDigit(c) { position += 1 }
        }
        if let e = peek(), e == "e" || e == "E" {
            let sign = peek(1)
            let hasSign = sign == "+" || sign == "-"
            if let d = peek(hasSign ? 2 : 1), Lexer.isDigit(d) {
                position += hasSign ? 2 : 1
                while let c = peek(), Lexer.isDigit(c) { position += 1 }
            }
        }
        let literal = text(from: start)
        return Token(kind: .number(literal), location: start, text: literal)
    }

    /// Operators the grammar knows, longest first so that `<>` wins over `<`.
    private static let operators: [String] = [
        "<>", "!=", "<=", ">=", "@>", "<@", "&&", "||",
        "<", ">", "=", "+", "-", "*", "/", "%", "^",
    ]

    private static let operatorScalars = operators.map { ($0, Array($0.unicodeScalars)) }

    private mutating func lexOperator(start: Int) throws(WhereClauseError) -> Token {
        // Compared in place: copying slices per candidate made lexing a 64 KiB clause of
        // operators take a noticeable fraction of a second in a debug build.
        for (symbol, symbolScalars) in Lexer.operatorScalars {
            guard symbolScalars[0] == scalars[position], position + symbolScalars.count <= scalars.count,
                symbolScalars.indices.allSatisfy({ scalars[position + $0] == symbolScalars[$0] })
            else { continue }
            position += symbolScalars.count
            return Token(kind: .op(symbol), location: start, text: symbol)
        }
        position += 1
        throw .compile(start, "syntax error at or near \"\(text(from: start))\"")
    }
}
