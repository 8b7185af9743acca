/// A subset's `order_by` (protocol.md §3.4): a comma-separated list of plain column references,
/// each optionally followed by `ASC`/`DESC` and `NULLS FIRST`/`NULLS LAST`.
///
/// Nothing else is accepted (functions, casts, operators, `CASE`, sub-selects, constants,
/// parameters), so the client's text never reaches SQL: router renders the parsed terms with
/// quoted identifiers. Error messages follow Electric, which parses `SELECT 1 ORDER BY <text>`;
/// locations are offsets in that wrapper (the text starts at 18).
public struct SubsetOrderBy: Hashable, Sendable {
    /// One sort key.
    public struct Term: Hashable, Sendable {
        /// Column name, verbatim (unquoted names are lower-cased, as in PostgreSQL).
        public var column: String
        public var descending: Bool
        /// `NULLS FIRST` (true), `NULLS LAST` (false), or PostgreSQL's default (nil).
        public var nullsFirst: Bool?
        /// Where the column reference starts, for error messages.
        public var location: Int
    }

    public var terms: [Term]

    /// Offset of the client's text inside Electric's `SELECT 1 ORDER BY ` wrapper.
    static let wrapperPrefixLength = 18

    /// Parses `text`.
    /// - Throws: ``IdentifierError`` with the message to report under `subset.order_by`.
    public static func parse(_ text: String) throws(IdentifierError) -> SubsetOrderBy {
        var tokens = try OrderByLexer(text).tokens()
        var terms: [Term] = []
        while true {
            terms.append(try parseTerm(&tokens))
            guard let next = tokens.first else { break }
            guard next.kind == .comma else { throw unexpected(next) }
            tokens.removeFirst()
        }
        return SubsetOrderBy(terms: terms)
    }

    /// The terms as SQL, every column quoted: `"a" DESC NULLS LAST, "b"`.
    public func sql(quote: (String) -> String) -> String {
        terms.map { term in
            var part = quote(term.column) + (term.descending ? " DESC" : " ASC")
            if let nullsFirst = term.nullsFirst { part += nullsFirst ? " NULLS FIRST" : " NULLS LAST" }
            return part
        }.joined(separator: ", ")
    }

    private static func parseTerm(_ tokens: inout ArraySlice<OrderByLexer.Token>) throws(IdentifierError) -> Term {
        guard let first = tokens.popFirst() else {
            throw IdentifierError("At location \(wrapperPrefixLength): syntax error at end of input")
        }
        let column: String
        switch first.kind {
        case .identifier(let name, quoted: false):
            if ["case", "select", "array", "row", "cast", "not", "exists", "null", "true", "false"].contains(name) {
                throw notAllowed(name == "case" ? "CaseExpr" : name == "select" ? "SubLink" : "A_Const", at: first)
            }
            column = name
        case .identifier(let name, quoted: true):
            column = name
        case .parameter(let number):
            throw IdentifierError("At location \(first.location): parameter $\(number) is not supported in ORDER BY clauses")
        case .constant:
            throw notAllowed("A_Const", at: first)
        case .open:
            throw notAllowed("A_Expr", at: first)
        default:
            throw unexpected(first)
        }
        var term = Term(column: column, descending: false, nullsFirst: nil, location: first.location)
        if let next = tokens.first {
            switch next.kind {
            case .open: throw notAllowed("FuncCall", at: first)
            case .cast: throw notAllowed("TypeCast", at: next)
            case .operator: throw notAllowed("A_Expr", at: next)
            case .dot: throw IdentifierError("At location \(first.location): unknown reference \(column).")
            default: break
            }
        }
        if let keyword = tokens.first?.keyword, keyword == "asc" || keyword == "desc" {
            term.descending = keyword == "desc"
            tokens.removeFirst()
        }
        if tokens.first?.keyword == "nulls" {
            let nulls = tokens.removeFirst()
            guard let which = tokens.popFirst() else {
                throw IdentifierError("At location \(nulls.location): syntax error at end of input")
            }
            switch which.keyword {
            case "first": term.nullsFirst = true
            case "last": term.nullsFirst = false
            default: throw unexpected(which)
            }
        }
        return term
    }

    private static func notAllowed(_ kind: String, at token: OrderByLexer.Token) -> IdentifierError {
        IdentifierError("At location \(token.location): \(kind) expressions are not allowed in ORDER BY clauses")
    }

    private static func unexpected(_ token: OrderByLexer.Token) -> IdentifierError {
        IdentifierError("At location \(token.location): syntax error at or near \"\(token.text)\"")
    }
}

/// Splits an `order_by` text into the few tokens ``SubsetOrderBy`` understands.
private struct OrderByLexer {
    struct Token {
        enum Kind: Equatable {
            case identifier(String, quoted: Bool)
            case parameter(Int)
            case constant
            case comma, open, close, dot, cast, `operator`
        }

        var kind: Kind
        var text: String
        var location: Int

        /// The lower-cased word of an unquoted identifier (keywords are identifiers here).
        var keyword: String? {
            if case .identifier(let name, quoted: false) = kind { return name }
            return nil
        }
    }

    let bytes: [UInt8]

    init(_ text: String) { bytes = Array(text.utf8) }

    func tokens() throws(IdentifierError) -> ArraySlice<Token> {
        var tokens: [Token] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            let start = index
            let location = SubsetOrderBy.wrapperPrefixLength + start
            switch byte {
            case 0x20, 0x09, 0x0A, 0x0D:
                index += 1
                continue
            case UInt8(ascii: ";"):
                throw IdentifierError("Unexpected `;` in order by")
            case UInt8(ascii: ","):
                index += 1
                tokens.append(Token(kind: .comma, text: ",", location: location))
            case UInt8(ascii: "("):
                index += 1
                tokens.append(Token(kind: .open, text: "(", location: location))
            case UInt8(ascii: ")"):
                index += 1
                tokens.append(Token(kind: .close, text: ")", location: location))
            case UInt8(ascii: "."):
                index += 1
                tokens.append(Token(kind: .dot, text: ".", location: location))
            case UInt8(ascii: "\""):
                index += 1
                var name: [UInt8] = []
                while true {
                    guard index < bytes.count else {
                        throw IdentifierError("At location \(location): unterminated quoted identifier")
                    }
                    if bytes[index] == UInt8(ascii: "\"") {
                        if index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\"") {
                            name.append(UInt8(ascii: "\""))
                            index += 2
                            continue
                        }
                        index += 1
                        break
                    }
                    name.append(bytes[index])
                    index += 1
                }
                guard !name.isEmpty else { throw IdentifierError("At location \(location): zero-length delimited identifier") }
                let text = String(decoding: name, as: UTF8.self)
                tokens.append(Token(kind: .identifier(text, quoted: true), text: text, location: location))
            case UInt8(ascii: "'"):
                index += 1
                while index < bytes.count {
                    if bytes[index] == UInt8(ascii: "'") {
                        if index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "'") {
                            index += 2
                            continue
                        }
                        break
                    }
                    index += 1
                }
                guard index < bytes.count else {
                    throw IdentifierError("At location \(location): unterminated quoted string")
                }
                index += 1
                tokens.append(Token(kind: .constant, text: text(start, index), location: location))
            case UInt8(ascii: "$"):
                index += 1
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
                guard let number = Int(text(start + 1, index)) else {
                    throw IdentifierError("At location \(location): syntax error at or near \"$\"")
                }
                tokens.append(Token(kind: .parameter(number), text: text(start, index), location: location))
            case _ where isDigit(byte):
                while index < bytes.count, isDigit(bytes[index]) || bytes[index] == UInt8(ascii: ".") { index += 1 }
                tokens.append(Token(kind: .constant, text: text(start, index), location: location))
            case _ where isIdentifierStart(byte):
                while index < bytes.count, isIdentifierPart(bytes[index]) { index += 1 }
                let word = String(decoding: bytes[start..<index].map(Self.asciiLowercased), as: UTF8.self)
                tokens.append(Token(kind: .identifier(word, quoted: false), text: text(start, index), location: location))
            case UInt8(ascii: ":") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: ":"):
                index += 2
                tokens.append(Token(kind: .cast, text: "::", location: location))
            default:
                while index < bytes.count, isOperator(bytes[index]) { index += 1 }
                if index == start { index += 1 }
                tokens.append(Token(kind: .operator, text: text(start, index), location: location))
            }
        }
        return tokens[...]
    }

    private func text(_ from: Int, _ to: Int) -> String { String(decoding: bytes[from..<to], as: UTF8.self) }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    /// ASCII letters, `_`, and any non-ASCII byte (PostgreSQL accepts letters beyond ASCII).
    private func isIdentifierStart(_ byte: UInt8) -> Bool {
        (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z") || byte == UInt8(ascii: "_") || byte >= 0x80
    }

    private func isIdentifierPart(_ byte: UInt8) -> Bool {
        isIdentifierStart(byte) || isDigit(byte) || byte == UInt8(ascii: "$")
    }

    private func isOperator(_ byte: UInt8) -> Bool {
        Array("+-*/<>=~!@#%^&|`?:".utf8).contains(byte)
    }

    private static func asciiLowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
    }
}
