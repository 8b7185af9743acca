/// A `table` parameter parsed per PostgreSQL identifier rules (protocol.md §3.2): `name` (schema
/// `public`) or `schema.name`, each part unquoted (ASCII-lower-cased, letters, marks, digits,
/// `_`, `$`) or double-quoted (verbatim, `""` for a quote), at most 63 bytes.
///
/// Error messages are Electric's, word for word: clients and tests compare them.
public struct RelationIdentifier: Hashable, Sendable, CustomStringConvertible {
    public var schema: String
    public var table: String

    public init(schema: String, table: String) {
        self.schema = schema
        self.table = table
    }

    /// Parses `schema.table` or `table`.
    /// - Throws: ``IdentifierError`` with the message to report under `table`.
    public init(parsing text: String) throws(IdentifierError) {
        let parts = Identifier.split(text, on: UInt8(ascii: "."))
        switch parts.count {
        case 1:
            self.init(schema: "public", table: try Identifier.parse(parts[0]))
        case 2:
            self.init(schema: try Identifier.parse(parts[0]), table: try Identifier.parse(parts[1]))
        default:
            throw IdentifierError("Invalid relation identifier, too many delimiters: \(text)")
        }
    }

    /// `"schema"."table"` with quotes doubled, as PostgreSQL would print it quoted.
    public var description: String { Identifier.quote(schema) + "." + Identifier.quote(table) }
}

/// Why an identifier (or relation, or column list) was rejected; `message` is the client-facing text.
public struct IdentifierError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// One PostgreSQL identifier: the parsing shared by ``RelationIdentifier`` and ``ColumnList``.
public enum Identifier {
    /// PostgreSQL's `NAMEDATALEN - 1`.
    public static let maximumLength = 63

    /// Parses one identifier: quoted (`"Foo"` ⇒ `Foo`, `""` ⇒ `"`) or unquoted (`Foo` ⇒ `foo`).
    /// - Throws: ``IdentifierError`` with Electric's message.
    public static func parse(_ text: Substring) throws(IdentifierError) -> String {
        let name: String
        if text.hasPrefix("\""), text.hasSuffix("\"") {
            // A lone `"` is an empty quoted identifier, as in Electric.
            name = try parseQuoted(text.count >= 2 ? text.dropFirst().dropLast() : text.dropFirst())
        } else {
            name = try parseUnquoted(text)
        }
        guard name.utf8.count <= maximumLength else {
            throw IdentifierError("Identifier is too long (max length is \(maximumLength))")
        }
        return name
    }

    /// Wraps `name` in double quotes, doubling the quotes inside it.
    public static func quote(_ name: String) -> String {
        "\"" + name.replacingQuotes() + "\""
    }

    /// Splits `text` on `separator` bytes that are outside double quotes.
    static func split(_ text: String, on separator: UInt8) -> [Substring] {
        var parts: [Substring] = []
        var inQuotes = false
        var start = text.startIndex
        var index = text.startIndex
        while index < text.endIndex {
            let byte = text.utf8[index]
            if byte == UInt8(ascii: "\"") {
                inQuotes.toggle()
            } else if byte == separator && !inQuotes {
                parts.append(text[start..<index])
                start = text.utf8.index(after: index)
            }
            index = text.utf8.index(after: index)
        }
        parts.append(text[start..<text.endIndex])
        return parts
    }

    private static func parseQuoted(_ content: Substring) throws(IdentifierError) -> String {
        guard !content.isEmpty else { throw IdentifierError("Invalid zero-length delimited identifier") }
        var result = ""
        var iterator = content.makeIterator()
        while let character = iterator.next() {
            if character == "\"" {
                guard iterator.next() == "\"" else {
                    throw IdentifierError("Invalid identifier with unescaped quote: \(content)")
                }
            }
            result.append(character)
        }
        return result
    }

    private static func parseUnquoted(_ text: Substring) throws(IdentifierError) -> String {
        guard !text.isEmpty else { throw IdentifierError("Invalid zero-length delimited identifier") }
        var scalars = text.unicodeScalars.makeIterator()
        guard let first = scalars.next(), isLetter(first) || first == "_" else {
            throw IdentifierError("Invalid unquoted identifier contains special characters: \(text)")
        }
        while let scalar = scalars.next() {
            let allowed =
                isLetter(scalar) || isMark(scalar) || scalar == "_" || scalar == "$" || ("0"..."9").contains(scalar)
            guard allowed else {
                throw IdentifierError("Invalid unquoted identifier contains special characters: \(text)")
            }
        }
        return String(String.UnicodeScalarView(text.unicodeScalars.map(asciiLowercased)))
    }

    private static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    private static func isMark(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return false
        }
    }

    /// PostgreSQL folds only ASCII `A`–`Z` in unquoted identifiers.
    private static func asciiLowercased(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        ("A"..."Z").contains(scalar) ? Unicode.Scalar(scalar.value + 32)! : scalar
    }
}

extension String {
    fileprivate func replacingQuotes() -> String {
        var result = ""
        for character in self {
            if character == "\"" { result.append("\"") }
            result.append(character)
        }
        return result
    }
}
