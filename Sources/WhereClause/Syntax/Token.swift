/// One lexical token of a where clause.
struct Token: Hashable, Sendable {
    /// The token's category and payload.
    enum Kind: Hashable, Sendable {
        /// An identifier or keyword. Unquoted identifiers are lower-cased (ASCII only, like
        /// PostgreSQL); `quoted` identifiers are verbatim and never keywords.
        case identifier(String, quoted: Bool)
        /// A string literal with quotes removed and `''` collapsed.
        case string(String)
        /// A numeric literal exactly as written.
        case number(String)
        /// A positional parameter `$n`.
        case parameter(Int)
        /// An operator such as `=`, `<>`, `||`, `@>`.
        case op(String)
        case leftParen, rightParen, leftBracket, rightBracket, comma, dot, doubleColon, semicolon
        case end
    }

    var kind: Kind
    /// 0-based character offset of the token's first character.
    var location: Int
    /// The token as written, for `syntax error at or near "<text>"`.
    var text: String

    /// True when this is the unquoted keyword `word` (lower-case).
    func isKeyword(_ word: String) -> Bool {
        if case .identifier(let name, quoted: false) = kind { return name == word }
        return false
    }

    /// The unquoted identifier's (lower-cased) name, if this token is one.
    var keyword: String? {
        if case .identifier(let name, quoted: false) = kind { return name }
        return nil
    }

    func isOperator(_ symbol: String) -> Bool {
        if case .op(let text) = kind { return text == symbol }
        return false
    }
}
