/// A JSON document (RFC 8259) parsed into values, without Foundation: how router and serve read
/// the small files that describe a shape (`shape.json`, `router.json`), which a restart reads
/// for every shape. Typed values are read from it through ``JSONReadable``.
///
/// The parser follows RFC 8259 and is strict where `JSONDecoder` is: unescaped control
/// characters, invalid UTF-8, lone surrogates, leading zeros and text after the document are
/// refused, as is nesting deeper than ``JSONValue/maximumDepth``. It is stricter than
/// `JSONDecoder` in three ways JSONEncoder's output never needs: no trailing commas, no
/// byte-order mark, and integers written as integers (not `1.0` or `1e0`). A number keeps the
/// text it was written as; whoever reads it decides what it must be (an integer that fits, for
/// every field we store).
public enum JSONValue: Hashable, Sendable {
    case null
    case bool(Bool)
    /// The number as written (valid JSON number syntax).
    case number(String)
    case string(String)
    case array([JSONValue])
    /// The members in document order, duplicates kept (``JSONObject`` reads the first, as
    /// `JSONDecoder` does).
    case object([Member])

    /// One `"key": value` of an object.
    public struct Member: Hashable, Sendable {
        public var key: String
        public var value: JSONValue

        public init(key: String, value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    /// Arrays and objects nested deeper than this are refused (`JSONDecoder` stops at 512 too),
    /// so a hostile file cannot exhaust the stack.
    public static let maximumDepth = 512

    /// Parses one JSON document; white space may surround it, nothing else may follow it.
    /// - Throws: ``JSONReadError`` naming the byte offset and what was expected there.
    public init(parsing bytes: [UInt8]) throws(JSONReadError) {
        let result = bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(JSONReadError) -> JSONValue in
                var parser = JSONParser(buffer)
                return try parser.document()
            }
        }
        self = try result.get()
    }

    /// What kind of value this is, for error messages.
    public var kind: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// The recursive-descent parser behind ``JSONValue/init(parsing:)``: one pass over the bytes,
/// strings copied once (and only through a scratch buffer when they hold escapes).
private struct JSONParser {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var depth = 0
    /// The members (elements) of the objects (arrays) being parsed, innermost last: each
    /// container is copied out once, at its exact size, instead of growing an array of its own.
    private var members: [JSONValue.Member] = []
    private var elements: [JSONValue] = []

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    mutating func document() throws(JSONReadError) -> JSONValue {
        let value = try value()
        skipWhitespace()
        guard index == bytes.count else { throw failure("unexpected text after the document") }
        return value
    }

    private func failure(_ reason: String) -> JSONReadError {
        JSONReadError(reason: reason, offset: index)
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): index += 1
            default: return
            }
        }
    }

    private mutating func value() throws(JSONReadError) -> JSONValue {
        skipWhitespace()
        guard index < bytes.count else { throw failure("unexpected end of the document, expected a value") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw failure("unexpected character \(Self.describe(bytes[index])), expected a value")
        }
    }

    private mutating func literal(_ word: StaticString) throws(JSONReadError) {
        let matches = word.withUTF8Buffer { expected in
            bytes.count - index >= expected.count && expected.indices.allSatisfy { bytes[index + $0] == expected[$0] }
        }
        guard matches else { throw failure("invalid literal, expected \(word)") }
        index += word.utf8CodeUnitCount
    }

    private mutating func enter() throws(JSONReadError) {
        depth += 1
        guard depth <= JSONValue.maximumDepth else { throw failure("nested deeper than \(JSONValue.maximumDepth) levels") }
        index += 1
    }

    private mutating func object() throws(JSONReadError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object([])
        }
        let first = members.count
        defer { members.removeSubrange(first...) }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw failure("expected a key (a string)") }
            let key = try string()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw failure("expected ':' after a key") }
            index += 1
            let member = JSONValue.Member(key: key, value: try value())
            members.append(member)
            skipWhitespace()
            guard index < bytes.count else { throw failure("unexpected end of the document in an object") }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                return .object(Array(members[first...]))
            default: throw failure("expected ',' or '}' in an object")
            }
        }
    }

    private mutating func array() throws(JSONReadError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array([])
        }
        let first = elements.count
        defer { elements.removeSubrange(first...) }
        while true {
            let element = try value()
            elements.append(element)
            skipWhitespace()
            guard index < bytes.count else { throw failure("unexpected end of the document in an array") }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                return .array(Array(elements[first...]))
            default: throw failure("expected ',' or ']' in an array")
            }
        }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, returned as written.
    private mutating func number() throws(JSONReadError) -> String {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, Self.isDigit(bytes[index]) else { throw failure("expected a digit in a number") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < bytes.count, Self.isDigit(bytes[index]) { throw failure("a number must not start with a zero") }
        } else {
            skipDigits()
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count, Self.isDigit(bytes[index]) else { throw failure("expected a digit after '.' in a number") }
            skipDigits()
        }
        if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, Self.isDigit(bytes[index]) else { throw failure("expected a digit in a number's exponent") }
            skipDigits()
        }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
    }

    private mutating func skipDigits() {
        while index < bytes.count, Self.isDigit(bytes[index]) { index += 1 }
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    /// A string literal starting at its opening quote. Without escapes its bytes become the
    /// `String` directly; with them, runs of plain bytes and unescaped characters are gathered
    /// first.
    private mutating func string() throws(JSONReadError) -> String {
        index += 1
        let start = index
        var seen = skipPlain()
        guard index < bytes.count else { throw failure("unterminated string") }
        if bytes[index] == UInt8(ascii: "\"") {
            defer { index += 1 }
            return try makeString(UnsafeBufferPointer(rebasing: bytes[start..<index]), checked: seen < 0x80, at: start)
        }
        var scratch: [UInt8] = []
        var run = start
        while true {
            scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<index]))
            guard index < bytes.count else { throw failure("unterminated string") }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                // Escapes write valid UTF-8: only raw bytes need checking.
                return try scratch.withUnsafeBufferPointer { buffer throws(JSONReadError) in
                    try makeString(buffer, checked: seen < 0x80, at: start)
                }
            }
            guard byte == UInt8(ascii: "\\") else { throw failure("unescaped control character \(Self.describe(byte)) in a string") }
            index += 1
            try unescape(into: &scratch)
            run = index
            seen |= skipPlain()
        }
    }

    /// Moves past bytes that stand for themselves in a string (not a quote, a backslash or a
    /// control character); returns them OR-ed together, so that `< 0x80` means all ASCII.
    private mutating func skipPlain() -> UInt8 {
        var seen: UInt8 = 0
        while index < bytes.count {
            let byte = bytes[index]
            guard byte >= 0x20, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") else { break }
            seen |= byte
            index += 1
        }
        return seen
    }

    /// One escape sequence after its backslash, appended as UTF-8.
    private mutating func unescape(into scratch: inout [UInt8]) throws(JSONReadError) {
        guard index < bytes.count else { throw failure("unterminated string") }
        let escaped = bytes[index]
        index += 1
        switch escaped {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(escaped)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            let unit = try hexUnit()
            var scalar: Unicode.Scalar?
            switch unit {
            case 0xD800...0xDBFF:
                guard bytes.count - index >= 2, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                    throw failure("a high surrogate escape must be followed by a low one")
                }
                index += 2
                let low = try hexUnit()
                guard (0xDC00...0xDFFF).contains(low) else { throw failure("a high surrogate escape must be followed by a low one") }
                scalar = Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
            case 0xDC00...0xDFFF:
                throw failure("a low surrogate escape without a high one before it")
            default:
                scalar = Unicode.Scalar(unit)
            }
            guard let scalar else { throw failure("invalid \\u escape") }
            scratch.append(contentsOf: UTF8.encode(scalar)!)
        default:
            index -= 1
            throw failure("invalid escape \\\(Self.describe(escaped)) in a string")
        }
    }

    /// The four hex digits of a `\u` escape.
    private mutating func hexUnit() throws(JSONReadError) -> UInt32 {
        guard bytes.count - index >= 4 else { throw failure("a \\u escape needs four hex digits") }
        var unit: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw failure("a \\u escape needs four hex digits")
            }
            unit = unit << 4 | UInt32(digit)
            index += 1
        }
        return unit
    }

    /// `utf8` as a `String`, refused unless it is valid UTF-8 (`checked`: known to be).
    /// `String(decoding:)` is fast but repairs what is invalid, so a repaired result differs from
    /// its input; the generic `String(validating:)` looked up type metadata on every call, which
    /// dominated parsing.
    private func makeString(_ utf8: UnsafeBufferPointer<UInt8>, checked: Bool, at start: Int) throws(JSONReadError) -> String {
        let text = String(decoding: utf8, as: UTF8.self)
        guard checked || text.utf8.elementsEqual(utf8) else {
            throw JSONReadError(reason: "a string is not valid UTF-8", offset: start)
        }
        return text
    }

    /// A byte for an error message: the character when printable ASCII, else its hex value.
    private static func describe(_ byte: UInt8) -> String {
        (0x21..<0x7F).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "0x" + String(byte, radix: 16, uppercase: true)
    }
}
