/// The recursive path (`parseExpression` → `parsePrefix` → `parsePrimary` → `parseWord` →
/// `parseCall` → `parseExpression`) is kept to thin functions, with everything that needs no
/// recursion (errors, literal and keyword handling) in helpers beside it: in a debug build
/// every temporary of a function keeps its own stack slot, and the deepest clause
/// ``WhereClauseLimits/maxDepth`` admits must parse within a 512 KiB thread stack.
extension Parser {
    /// Parses prefix operators and primary expressions.
    mutating func parsePrefix() throws(WhereClauseError) -> SyntaxNode {
        if current.isOperator("-") || current.isOperator("+") { return try parseSigned() }
        if current.isKeyword("not") { return try parseNot() }
        return try parsePrimary()
    }

    private mutating func parseSigned() throws(WhereClauseError) -> SyntaxNode {
        let location = current.location
        let minus = current.isOperator("-")
        advance()
        return Parser.signed(minus, try parseExpression(.unary), at: location)
    }

    private mutating func parseNot() throws(WhereClauseError) -> SyntaxNode {
        let location = current.location
        advance()
        return SyntaxNode(.not(try parseExpression(.not)), at: location)
    }

    /// `-x` / `+x`. PostgreSQL folds the sign into numeric literals textually (so -2147483648
    /// is an int4 and - -2147483648 is the int8 2147483648).
    static func signed(_ minus: Bool, _ operand: SyntaxNode, at location: Int) -> SyntaxNode {
        if minus, case .number(let digits) = operand.kind {
            let negated = digits.hasPrefix("-") ? String(digits.dropFirst()) : "-" + digits
            return SyntaxNode(.number(negated), at: location)
        }
        return SyntaxNode(.unary(minus ? "-" : "+", operand), at: location)
    }

    mutating func parsePrimary() throws(WhereClauseError) -> SyntaxNode {
        switch current.kind {
        case .leftParen:
            try expectParenthesizedExpression()
            let inner = try parseExpression(.lowest)
            try expect(.rightParen)
            return inner
        case .identifier(let name, let quoted):
            if quoted { return try parseQuotedName(name) }
            return try parseWord(name)
        default:
            return try parseLiteral()
        }
    }

    /// Consumes `(` of a parenthesized expression, rejecting subqueries.
    private mutating func expectParenthesizedExpression() throws(WhereClauseError) {
        let location = current.location
        advance()
        if current.isKeyword("select") { throw .compile(location, "subqueries are not supported") }
    }

    /// A number, string or parameter token.
    private mutating func parseLiteral() throws(WhereClauseError) -> SyntaxNode {
        let token = current
        switch token.kind {
        case .number(let text):
            advance()
            return SyntaxNode(.number(text), at: token.location)
        case .string(let text):
            advance()
            return SyntaxNode(.string(text), at: token.location)
        case .parameter(let number):
            guard number <= limits.maxParameters else {
                throw .parameterBeyondLimit(number, at: token.location, limit: limits.maxParameters)
            }
            advance()
            return SyntaxNode(.parameter(number), at: token.location)
        default:
            throw syntaxError(token)
        }
    }

    /// A double-quoted name: a column, or a function when a `(` follows.
    private mutating func parseQuotedName(_ name: String) throws(WhereClauseError) -> SyntaxNode {
        let location = current.location
        advance()
        if current.kind == .leftParen { return try parseCall(name, at: location) }
        return SyntaxNode(.column(name), at: location)
    }

    private static let reserved: Set<String> = [
        "and", "or", "is", "in", "like", "ilike", "between", "select", "from", "where", "any", "all", "some",
        "order", "group", "limit", "offset", "having", "case", "when", "then", "else", "end", "distinct",
    ]

    /// What an unquoted word starts, once ``wordForm(_:)`` has consumed what it needs.
    enum WordForm {
        case node(SyntaxNode)
        case array(at: Int)
        /// `CAST(`, already consumed.
        case cast(at: Int)
        case call(String, at: Int)
    }

    mutating func parseWord(_ word: String) throws(WhereClauseError) -> SyntaxNode {
        switch try wordForm(word) {
        case .node(let node): return node
        case .array(let location): return try parseArrayConstructor(at: location)
        case .call(let name, let location): return try parseCall(name, at: location)
        case .cast(let location):
            let value = try parseExpression(.lowest)
            try expectKeyword("as")
            let type = try parseTypeName()
            try expect(.rightParen)
            return SyntaxNode(.cast(value, type), at: location)
        }
    }

    /// Classifies an unquoted word and consumes it (and what follows it, for literals such as
    /// `date '2024-01-01'`); never recurses.
    private mutating func wordForm(_ word: String) throws(WhereClauseError) -> WordForm {
        let token = current
        switch word {
        case "true", "false":
            advance()
            return .node(SyntaxNode(.boolean(word == "true"), at: token.location))
        case "null":
            advance()
            return .node(SyntaxNode(.null, at: token.location))
        case "array":
            advance()
            return .array(at: token.location)
        case "cast" where peek().kind == .leftParen:
            advance()
            advance()
            return .cast(at: token.location)
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
            return .call(name, at: token.location)
        }
        if current.kind == .dot, case .identifier(let name, _) = peek().kind {
            throw .compile(token.location, "unknown reference \(word).\(name)")
        }
        if current.kind == .leftParen {
            if Parser.typeKeywords.contains(word) { throw try typeKeywordCallError(word) }
            return .call(word, at: token.location)
        }
        // Typed literals: `date '2024-01-01'`, `interval '1 day'`.
        if case .string(let text) = current.kind, let canonical = TypeName.aliases[word], !word.contains(" ") {
            advance()
            return .node(
                SyntaxNode(
                    .cast(SyntaxNode(.string(text), at: token.location), TypeName(name: canonical, isArray: false)),
                    at: token.location))
        }
        return .node(SyntaxNode(.column(word), at: token.location))
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
        var arguments: [SyntaxNode] = []
        if try expectArguments(at: location) {
            arguments.append(try parseExpression(.lowest))
            while current.kind == .comma {
                advance()
                arguments.append(try parseExpression(.lowest))
            }
        }
        try expect(.rightParen)
        return SyntaxNode(.function(name, arguments), at: location)
    }

    /// Consumes a call's `(`; false when the argument list is empty. Rejects `DISTINCT`,
    /// `ALL`, `VARIADIC` and `*` arguments.
    private mutating func expectArguments(at location: Int) throws(WhereClauseError) -> Bool {
        try expect(.leftParen)
        if current.kind == .rightParen { return false }
        if current.isKeyword("distinct") || current.isKeyword("all") || current.isKeyword("variadic") {
            throw .compile(current.location, "\(current.text.uppercased()) in function calls is not supported")
        }
        if current.isOperator("*") { throw .compile(location, "aggregation is not supported in this context") }
        return true
    }

    /// `ARRAY[a, b]`, with nested `[...]` or `ARRAY[...]` for multi-dimensional arrays.
    mutating func parseArrayConstructor(at location: Int) throws(WhereClauseError) -> SyntaxNode {
        let start = depth
        defer { depth = start }
        try descend()
        try expect(.leftBracket)
        var elements: [SyntaxNode] = []
        if current.kind != .rightBracket {
            repeat {
                if current.kind == .comma { advance() }
                guard elements.count < limits.maxArrayElements else {
                    let count = elements.count + listItemsAhead()
                    throw .arrayTooLong("ARRAY", count, at: location, limit: limits.maxArrayElements)
                }
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
