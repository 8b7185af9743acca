extension Parser {
    /// Parses prefix operators and primary expressions.
    mutating func parsePrefix() throws(WhereClauseError) -> SyntaxNode {
        let token = current
        switch token.kind {
        case .op(let symbol) where symbol == "-" || symbol == "+":
            advance()
            let operand = try parseExpression(.unary)
            // PostgreSQL folds the sign into numeric literals textually (so -2147483648 is an
            // int4 and - -2147483648 is the int8 2147483648).
            if symbol == "-", case .number(let digits) = operand.kind {
                let negated = digits.hasPrefix("-") ? String(digits.dropFirst()) : "-" + digits
                return SyntaxNode(.number(negated), at: token.location)
            }
            return SyntaxNode(.unary(symbol, operand), at: token.location)
        case .identifier(let word, quoted: false) where word == "not":
            advance()
            return SyntaxNode(.not(try parseExpression(.not)), at: token.location)
        default:
            return try parsePrimary()
        }
    }

    mutating func parsePrimary() throws(WhereClauseError) -> SyntaxNode {
        let token = current
        switch token.kind {
        case .number(let text):
            advance()
            return SyntaxNode(.number(text), at: token.location)
        case .string(let text):
            advance()
            return SyntaxNode(.string(text), at: token.location)
        case .parameter(let number):
            advance()
            return SyntaxNode(.parameter(number), at: token.location)
        case .leftParen:
            advance()
            if current.isKeyword("select") { throw .compile(token.location, "subqueries are not supported") }
            let inner = try parseExpression(.lowest)
            try expect(.rightParen)
            return inner
        case .identifier(let name, let quoted):
            if quoted {
                advance()
                if current.kind == .leftParen { return try parseCall(name, at: token.location) }
                return SyntaxNode(.column(name), at: token.location)
            }
            return try parseWord(name, token: token)
        default:
            throw syntaxError(token)
        }
    }

    private static let reserved: Set<String> = [
        "and", "or", "is", "in", "like", "ilike", "between", "select", "from", "where", "any", "all", "some",
        "order", "group", "limit", "offset", "having", "case", "when", "then", "else", "end", "distinct",
    ]

    mutating func parseWord(_ word: String, token: Token) throws(WhereClauseError) -> SyntaxNode {
        switch word {
        case "true", "false":
            advance()
            return SyntaxNode(.boolean(word == "true"), at: token.location)
        case "null":
            advance()
            return SyntaxNode(.null, at: token.location)
        case "array":
            advance()
            return try parseArrayConstructor(at: token.location)
        case "cast" where peek().kind == .leftParen:
            advance()
            advance()
            let value = try parseExpression(.lowest)
            try expectKeyword("as")
            let type = try parseTypeName()
            try expect(.rightParen)
            return SyntaxNode(.cast(value, type), at: token.location)
        default:
            break
        }
        if Parser.reserved.contains(word), !(["like", "ilike"].contains(word) && peek().kind == .leftParen) {
            throw syntaxError(token)
        }
        advance()
        if current.kind == .dot, word == "pg_catalog", case .identifier(let name, _) = peek().kind {
            advance()
            advance()
            guard current.kind == .leftParen else { throw .compile(token.location, "unknown reference \(name)") }
            return try parseCall(name, at: token.location)
        }
        if current.kind == .dot, case .identifier(let name, _) = peek().kind {
            throw .compile(token.location, "unknown reference \(word).\(name)")
        }
        if current.kind == .leftParen {
            if Parser.typeKeywords.contains(word) { throw try typeKeywordCallError(word) }
            return try parseCall(word, at: token.location)
        }
        // Typed literals: `date '2024-01-01'`, `interval '1 day'`.
        if case .string(let text) = current.kind, let canonical = TypeName.aliases[word], !word.contains(" ") {
            advance()
            return SyntaxNode(
                .cast(SyntaxNode(.string(text), at: token.location), TypeName(name: canonical, isArray: false)),
                at: token.location)
        }
        return SyntaxNode(.column(word), at: token.location)
    }

    /// Type names that are SQL keywords (`col_name_keyword`) cannot be called like functions:
    /// `numeric(x)` is PostgreSQL's `NUMERIC(typmod) 'literal'` syntax. `int4(x)` and
    /// `text(x)` are ordinary function-style casts.
    static let typeKeywords: Set<String> = [
        "numeric", "decimal", "dec", "int", "integer", "smallint", "bigint", "real", "float", "boolean", "varchar", "char",
        "character", "time", "timestamp", "interval", "double",
    ]

    /// The error for `numeric(...)`: after the parenthesized modifiers PostgreSQL expects a
    /// string literal.
    mutating func typeKeywordCallError(_ word: String) throws(WhereClauseError) -> WhereClauseError {
        var depth = 0
        repeat {
            if current.kind == .leftParen { depth += 1 }
            if current.kind == .rightParen { depth -= 1 }
            if current.kind == .end { return syntaxError(current) }
            advance()
        } while depth > 0
        if case .string = current.kind { return .compile(current.location, "unsupported type \(word) with modifiers") }
        return syntaxError(current)
    }

    mutating func parseCall(_ name: String, at location: Int) throws(WhereClauseError) -> SyntaxNode {
        try expect(.leftParen)
        var arguments: [SyntaxNode] = []
        if current.kind != .rightParen {
            if current.isKeyword("distinct") || current.isKeyword("all") || current.isKeyword("variadic") {
                throw .compile(current.location, "\(current.text.uppercased()) in function calls is not supported")
            }
            if current.isOperator("*") { throw .compile(location, "aggregation is not supported in this context") }
            arguments.append(try parseExpression(.lowest))
            while current.kind == .comma {
                advance()
                arguments.append(try parseExpression(.lowest))
            }
        }
        try expect(.rightParen)
        return SyntaxNode(.function(name, arguments), at: location)
    }

    /// `ARRAY[a, b]`, with nested `[...]` or `ARRAY[...]` for multi-dimensional arrays.
    mutating func parseArrayConstructor(at location: Int) throws(WhereClauseError) -> SyntaxNode {
        try expect(.leftBracket)
        var elements: [SyntaxNode] = []
        if current.kind != .rightBracket {
            repeat {
                if current.kind == .comma { advance() }
                if current.kind == .leftBracket {
                    let nested = current.location
                    elements.append(try parseArrayConstructor(at: nested))
                } else {
                    elements.append(try parseExpression(.lowest))
                }
            } while current.kind == .comma
        }
        try expect(.rightBracket)
        return SyntaxNode(.array(elements), at: location)
    }

    /// Parses a type name after `::` or `AS`: optional `pg_catalog.`, multi-word names such as
    /// `double precision` and `timestamp with time zone`, and any number of `[]` suffixes.
    mutating func parseTypeName() throws(WhereClauseError) -> TypeName {
        let start = current
        guard case .identifier(var name, let quoted) = start.kind else { throw syntaxError(start) }
        advance()
        if !quoted, name == "pg_catalog", current.kind == .dot, case .identifier(let inner, _) = peek().kind {
            advance()
            advance()
            name = inner
        }
        if !quoted {
            name = try parseMultiWordType(name)
        }
        if current.kind == .leftParen {
            throw .compile(start.location, "unsupported type \(name) with modifiers")
        }
        var isArray = false
        while current.kind == .leftBracket {
            advance()
            if case .number = current.kind { advance() }
            try expect(.rightBracket)
            isArray = true
        }
        guard let canonical = TypeName.aliases[name] else {
            throw .compile(start.location, "unsupported type \(name)")
        }
        return TypeName(name: canonical, isArray: isArray)
    }

    private mutating func parseMultiWordType(_ first: String) throws(WhereClauseError) -> String {
        switch first {
        case "double":
            try expectKeyword("precision")
            return "double precision"
        case "character" where current.isKeyword("varying"):
            advance()
            return "character varying"
        case "timestamp", "time":
            guard current.isKeyword("with") || current.isKeyword("without") else { return first }
            let with = current.isKeyword("with")
            advance()
            try expectKeyword("time")
            try expectKeyword("zone")
            if first == "time" {
                if with { throw .compile(current.location, "unsupported type time with time zone") }
                return "time"
            }
            return with ? "timestamptz" : "timestamp"
        default:
            return first
        }
    }
}
