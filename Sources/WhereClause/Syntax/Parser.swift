/// Recursive-descent (Pratt) parser for the where-clause expression language.
///
/// Binding powers follow PostgreSQL's operator precedence table, lowest first:
/// `OR` < `AND` < `NOT` < `IS`/`ISNULL`/`NOTNULL` < comparisons < `BETWEEN`/`IN`/`LIKE`/`ILIKE`
/// < other operators (`||`, `@>`, `<@`, `&&`) < `+ -` < `* / %` < `^` < unary `+ -` < `[ ]`
/// < `::`. Comparison, pattern and `IS` levels are non-associative, as in PostgreSQL's grammar,
/// so `a = b = c` is a syntax error.
struct Parser {
    enum Level: Int, Comparable {
        case lowest = 0
        case or, and, not, isTest, comparison, pattern, other, additive, multiplicative
        case power, unary, elementAccess, cast

        static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }

        var next: Level { Level(rawValue: rawValue + 1) ?? .cast }
    }

    var tokens: [Token]
    var index = 0
    /// Current nesting of sub-expressions (recursion plus left-associative chains).
    var depth = 0
    /// Deeper expressions (``WhereClauseLimits/maxDepth``), longer IN lists and ARRAYs and
    /// higher `$n` are rejected while parsing, before any recursive pass runs: depth keeps the
    /// recursive checker, folder, evaluator and renderer far from the thread's stack limit.
    let limits: WhereClauseLimits

    init(tokens: [Token], limits: WhereClauseLimits = .default) {
        self.tokens = tokens
        self.limits = limits
    }

    /// Parses a complete where clause.
    static func parse(_ text: String, limits: WhereClauseLimits = .default) throws(WhereClauseError) -> SyntaxNode {
        var parser = Parser(tokens: try Lexer.tokenize(text), limits: limits)
        if parser.current.kind == .end { throw .compile(0, "syntax error at end of input") }
        let expression = try parser.parseExpression(.lowest)
        try parser.expectEnd()
        let nodes = expression.nodeCount
        guard nodes <= limits.maxNodes else { throw .tooComplex(nodes, limit: limits.maxNodes) }
        return expression
    }

    /// Enters one more level of nesting; the caller restores ``depth`` when it leaves.
    mutating func descend() throws(WhereClauseError) {
        depth += 1
        guard depth <= limits.maxDepth else { throw .nestingTooDeep(at: current.location, limit: limits.maxDepth) }
    }

    var current: Token { tokens[min(index, tokens.count - 1)] }
    func peek(_ offset: Int = 1) -> Token { tokens[min(index + offset, tokens.count - 1)] }
    mutating func advance() { if index < tokens.count - 1 { index += 1 } }

    func syntaxError(_ token: Token) -> WhereClauseError {
        if token.kind == .end { return .compile(token.location, "syntax error at end of input") }
        return .compile(token.location, "syntax error at or near \"\(token.text)\"")
    }

    mutating func expect(_ kind: Token.Kind) throws(WhereClauseError) {
        guard current.kind == kind else { throw syntaxError(current) }
        advance()
    }

    mutating func expectKeyword(_ word: String) throws(WhereClauseError) {
        guard current.isKeyword(word) else { throw syntaxError(current) }
        advance()
    }

    private static let trailingClauses: Set<String> = [
        "order", "group", "having", "limit", "offset", "window", "union", "intersect", "except", "for", "fetch",
    ]

    mutating func expectEnd() throws(WhereClauseError) {
        switch current.kind {
        case .end: return
        case .semicolon: throw .compile(current.location, "unescaped \";\" causing statement split")
        default:
            if let word = current.keyword, Parser.trailingClauses.contains(word) {
                throw .compile(current.location, "malformed query ending with SQL clauses")
            }
            throw syntaxError(current)
        }
    }

    /// Parses an expression whose operators all bind at least as tightly as `minimum`.
    mutating func parseExpression(_ minimum: Level) throws(WhereClauseError) -> SyntaxNode {
        let start = depth
        defer { depth = start }
        try descend()
        var left = try parsePrefix()
        while let level = infixLevel(), level >= minimum {
            if level != .and && level != .or { try descend() }
            left = try parseInfix(left, level: level)
            try rejectNonAssociative(level)
        }
        return left
    }

    /// Comparison, pattern and `IS` levels do not chain (`a = b = c` is a syntax error).
    private func rejectNonAssociative(_ level: Level) throws(WhereClauseError) {
        guard level == .isTest || level == .comparison || level == .pattern, infixLevel() == level else { return }
        throw syntaxError(current)
    }

    private static let comparisonOperators: Set<String> = ["=", "<>", "!=", "<", ">", "<=", ">="]

    /// The binding power of the current token used as an infix/postfix operator, if it is one.
    func infixLevel() -> Level? {
        let token = current
        switch token.kind {
        case .doubleColon: return .cast
        case .leftBracket: return .elementAccess
        case .op(let symbol):
            switch symbol {
            case "^": return .power
            case "*", "/", "%": return .multiplicative
            case "+", "-": return .additive
            case "||", "@>", "<@", "&&": return .other
            default: return Parser.comparisonOperators.contains(symbol) ? .comparison : nil
            }
        case .identifier(let word, quoted: false):
            switch word {
            case "or": return .or
            case "and": return .and
            case "is", "isnull", "notnull": return .isTest
            case "between", "in", "like", "ilike": return .pattern
            case "not":
                guard let following = peek().keyword else { return nil }
                return ["between", "in", "like", "ilike"].contains(following) ? .pattern : nil
            default: return nil
            }
        default: return nil
        }
    }

    mutating func parseInfix(_ left: SyntaxNode, level: Level) throws(WhereClauseError) -> SyntaxNode {
        let token = current
        switch level {
        case .cast:
            advance()
            return SyntaxNode(.cast(left, try parseTypeName()), at: token.location)
        case .elementAccess:
            advance()
            let index = try parseExpression(.lowest)
            try expect(.rightBracket)
            return SyntaxNode(.element(left, index), at: token.location)
        case .or:
            var operands = [left]
            while current.isKeyword("or") {
                advance()
                operands.append(try parseExpression(.and))
            }
            return SyntaxNode(.or(operands), at: token.location)
        case .and:
            var operands = [left]
            while current.isKeyword("and") {
                advance()
                operands.append(try parseExpression(.not))
            }
            return SyntaxNode(.and(operands), at: token.location)
        case .isTest:
            return try parseIsTest(left)
        case .pattern:
            return try parsePattern(left)
        case .comparison, .other, .additive, .multiplicative, .power:
            guard case .op(let symbol) = token.kind else { throw syntaxError(token) }
            advance()
            if let quantifier = current.keyword, ["any", "some", "all"].contains(quantifier),
                peek().kind == .leftParen
            {
                advance()
                advance()
                let array = try parseExpression(.lowest)
                try expect(.rightParen)
                return SyntaxNode(.quantified(symbol, left, array, all: quantifier == "all"), at: token.location)
            }
            let right = try parseExpression(level.next)
            return SyntaxNode(.binary(symbol, left, right), at: token.location)
        default:
            throw syntaxError(token)
        }
    }

    mutating func parseIsTest(_ left: SyntaxNode) throws(WhereClauseError) -> SyntaxNode {
        let token = current
        advance()
        if token.isKeyword("isnull") { return SyntaxNode(.isNull(left, negated: false), at: token.location) }
        if token.isKeyword("notnull") { return SyntaxNode(.isNull(left, negated: true), at: token.location) }
        var negated = false
        if current.isKeyword("not") {
            negated = true
            advance()
        }
        let word = current
        advance()
        switch word.keyword {
        case "null": return SyntaxNode(.isNull(left, negated: negated), at: token.location)
        case "true": return SyntaxNode(.booleanTest(left, .isTrue, negated: negated), at: token.location)
        case "false": return SyntaxNode(.booleanTest(left, .isFalse, negated: negated), at: token.location)
        case "unknown": return SyntaxNode(.booleanTest(left, .isUnknown, negated: negated), at: token.location)
        case "distinct":
            try expectKeyword("from")
            let right = try parseExpression(Level.isTest.next)
            return SyntaxNode(.distinct(left, right, negated: negated), at: token.location)
        default:
            throw syntaxError(word)
        }
    }

    mutating func parsePattern(_ left: SyntaxNode) throws(WhereClauseError) -> SyntaxNode {
        var negated = false
        if current.isKeyword("not") {
            negated = true
            advance()
        }
        let token = current
        advance()
        switch token.keyword {
        case "between":
            var symmetric = false
            if current.isKeyword("symmetric") {
                symmetric = true
                advance()
            } else if current.isKeyword("asymmetric") {
                advance()
            }
            let low = try parseExpression(.other)
            try expectKeyword("and")
            let high = try parseExpression(.other)
            return SyntaxNode(.between(left, low, high, symmetric: symmetric, negated: negated), at: token.location)
        case "in":
            let open = current
            try expect(.leftParen)
            if current.isKeyword("select") {
                throw .compile(open.location, "subqueries are not supported")
            }
            var items = [try parseExpression(.lowest)]
            while current.kind == .comma {
                advance()
                guard items.count < limits.maxListItems else {
                    throw .listTooLong(items.count + listItemsAhead(), at: token.location, limit: limits.maxListItems)
                }
                items.append(try parseExpression(.lowest))
            }
            try expect(.rightParen)
            return SyntaxNode(.inList(left, items, negated: negated), at: token.location)
        case "like", "ilike":
            let symbol = token.keyword == "ilike" ? "~~*" : "~~"
            if let quantifier = current.keyword, ["any", "some", "all"].contains(quantifier), peek().kind == .leftParen {
                if negated {
                    throw .compile(current.location, "NOT \(token.text.uppercased()) \(quantifier.uppercased()) is not supported")
                }
                advance()
                advance()
                let array = try parseExpression(.lowest)
                try expect(.rightParen)
                return SyntaxNode(.quantified(symbol, left, array, all: quantifier == "all"), at: token.location)
            }
            let pattern = try parseExpression(.other)
            if current.isKeyword("escape") { throw .compile(current.location, "ESCAPE clauses are not supported") }
            return SyntaxNode(
                .like(left, pattern, caseInsensitive: token.keyword == "ilike", negated: negated), at: token.location)
        default:
            throw syntaxError(token)
        }
    }
}
