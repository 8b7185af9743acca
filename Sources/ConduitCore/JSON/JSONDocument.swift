/// A JSON document (RFC 8259) parsed without Foundation: how router and serve read the small
/// files that describe a shape (`shape.json`, and `router.json` for older shapes), which a restart reads for every
/// shape. Typed values are read from its ``root`` through ``JSONReadable``.
///
/// Parsing checks the whole text and records a *tape*: one fixed-size entry per value, in
/// document order, pointing into the text. Nothing is decoded until it is read: a key is
/// compared with the bytes it was written as, a string becomes a `String` and a number an
/// integer only when a field asks for it, and values nobody reads cost one entry each. (A tree
/// of enum values, an array per object and a `String` per key, made reading a shape's two files
/// cost a third more.)
///
/// The parser is strict where `JSONDecoder` is: unescaped control characters, invalid UTF-8,
/// lone surrogates, leading zeros and text after the document are refused, as is nesting deeper
/// than ``maximumDepth``. It is stricter than `JSONDecoder` in three ways JSONEncoder's output
/// never needs: no trailing commas, no byte-order mark, and integers written as integers (not
/// `1.0` or `1e0`).
public final class JSONDocument: Sendable {
    /// Arrays and objects nested deeper than this are refused (`JSONDecoder` stops at 512 too),
    /// so a hostile file cannot exhaust the stack.
    public static let maximumDepth = 512

    let bytes: [UInt8]
    let tape: [Entry]

    /// One value. Strings and numbers: their text is `bytes[start..<end]` (a string's without
    /// its quotes). Arrays and objects: `start` is their element (member) count and `end` the
    /// tape index just after their last descendant; an object's members are key and value
    /// entries in turn.
    struct Entry: Sendable {
        var kind: JSONNode.Kind
        /// Strings: ``escaped`` and ``nonASCII``.
        var flags: UInt8
        var start: UInt32
        var end: UInt32

        static let escaped: UInt8 = 1
        static let nonASCII: UInt8 = 2
    }

    /// Parses one JSON document; white space may surround it, nothing else may follow it.
    /// - Throws: ``JSONReadError`` naming the byte offset and what was expected there.
    public init(parsing bytes: [UInt8]) throws(JSONReadError) {
        guard bytes.count < Int(UInt32.max) else { throw JSONReadError(reason: "the document is larger than 4 GiB") }
        let result = bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(JSONReadError) -> [Entry] in
                var parser = JSONTapeParser(buffer)
                return try parser.document()
            }
        }
        self.tape = try result.get()
        self.bytes = bytes
    }

    /// The document's value.
    public var root: JSONNode { JSONNode(document: self, index: 0) }

    /// The tape index of the value of the first member named `key` in the object at `object`;
    /// nil when it has none. Keys are compared as `String`s are (canonical equivalence), but
    /// without making one when the key holds neither escapes nor bytes above ASCII, which is
    /// every key JSONEncoder writes for our types.
    func member(_ key: String, inObjectAt object: Int) -> Int? {
        var utf8 = key
        return utf8.withUTF8 { wanted in
            tape.withUnsafeBufferPointer { tape in
                bytes.withUnsafeBufferPointer { bytes in
                    var index = object + 1
                    for _ in 0..<Int(tape[object].start) {
                        let name = tape[index]
                        if name.flags == 0 {
                            if Int(name.end - name.start) == wanted.count,
                                UnsafeBufferPointer(rebasing: bytes[Int(name.start)..<Int(name.end)]).elementsEqual(wanted)
                            {
                                return index + 1
                            }
                        } else if (try? JSONNode(document: self, index: index).string()) == key {
                            return index + 1
                        }
                        let value = tape[index + 1]
                        index = value.kind == .array || value.kind == .object ? Int(value.end) : index + 2
                    }
                    return nil
                }
            }
        }
    }
}

/// The recursive-descent parser behind ``JSONDocument/init(parsing:)``: one pass over the bytes,
/// one tape entry per value.
private struct JSONTapeParser {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var depth = 0
    private var tape: [JSONDocument.Entry] = []
    /// Where escaped strings are unescaped to check them, reused.
    private var scratch: [UInt8] = []

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        tape.reserveCapacity(bytes.count / 8 + 4)
    }

    mutating func document() throws(JSONReadError) -> [JSONDocument.Entry] {
        try value()
        skipWhitespace()
        guard index == bytes.count else { throw failure("unexpected text after the document") }
        return tape
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

    private mutating func append(_ kind: JSONNode.Kind, flags: UInt8 = 0, from start: Int, to end: Int) {
        tape.append(JSONDocument.Entry(kind: kind, flags: flags, start: UInt32(start), end: UInt32(end)))
    }

    private mutating func value() throws(JSONReadError) {
        skipWhitespace()
        guard index < bytes.count else { throw failure("unexpected end of the document, expected a value") }
        let start = index
        switch bytes[index] {
        case UInt8(ascii: "{"): try container(.object, closing: UInt8(ascii: "}"))
        case UInt8(ascii: "["): try container(.array, closing: UInt8(ascii: "]"))
        case UInt8(ascii: "\""): try string()
        case UInt8(ascii: "t"):
            try literal("true")
            append(.true, from: start, to: index)
        case UInt8(ascii: "f"):
            try literal("false")
            append(.false, from: start, to: index)
        case UInt8(ascii: "n"):
            try literal("null")
            append(.null, from: start, to: index)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            try number()
            append(.number, from: start, to: index)
        default: throw failure("unexpected character \(describeByte(bytes[index])), expected a value")
        }
    }

    private mutating func literal(_ word: StaticString) throws(JSONReadError) {
        let matches = word.withUTF8Buffer { expected in
            bytes.count - index >= expected.count && expected.indices.allSatisfy { bytes[index + $0] == expected[$0] }
        }
        guard matches else { throw failure("invalid literal, expected \(word)") }
        index += word.utf8CodeUnitCount
    }

    /// An object or an array: its entry first, completed once its last member is on the tape.
    private mutating func container(_ kind: JSONNode.Kind, closing: UInt8) throws(JSONReadError) {
        depth += 1
        guard depth <= JSONDocument.maximumDepth else { throw failure("nested deeper than \(JSONDocument.maximumDepth) levels") }
        defer { depth -= 1 }
        let entry = tape.count
        append(kind, from: 0, to: 0)
        index += 1
        var count = 0
        skipWhitespace()
        if index < bytes.count, bytes[index] == closing {
            index += 1
        } else {
            let what = kind == .object ? "an object" : "an array"
            while true {
                if kind == .object {
                    skipWhitespace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw failure("expected a key (a string)") }
                    try string()
                    skipWhitespace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw failure("expected ':' after a key") }
                    index += 1
                }
                try value()
                count += 1
                skipWhitespace()
                guard index < bytes.count else { throw failure("unexpected end of the document in \(what)") }
                if bytes[index] == closing {
                    index += 1
                    break
                }
                guard bytes[index] == UInt8(ascii: ",") else {
                    throw failure("expected ',' or '\(Character(Unicode.Scalar(closing)))' in \(what)")
                }
                index += 1
            }
        }
        tape[entry].start = UInt32(count)
        tape[entry].end = UInt32(tape.count)
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    private mutating func number() throws(JSONReadError) {
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
    }

    private mutating func skipDigits() {
        while index < bytes.count, Self.isDigit(bytes[index]) { index += 1 }
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    /// A string literal starting at its opening quote, checked whole: its escapes are unescaped
    /// (into ``scratch``, to refuse a bad one now rather than when the string is read), and text
    /// with bytes above ASCII must be valid UTF-8.
    private mutating func string() throws(JSONReadError) {
        index += 1
        let start = index
        var seen: UInt8 = 0
        var escaped = false
        while true {
            while index < bytes.count {
                let byte = bytes[index]
                guard byte >= 0x20, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") else { break }
                seen |= byte
                index += 1
            }
            guard index < bytes.count else { throw failure("unterminated string") }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") { break }
            guard byte == UInt8(ascii: "\\") else { throw failure("unescaped control character \(describeByte(byte)) in a string") }
            if !escaped {
                escaped = true
                scratch.removeAll(keepingCapacity: true)
            }
            var unescaper = JSONUnescaper(bytes: bytes, index: index + 1)
            do {
                try unescaper.unescape(into: &scratch)
            } catch {
                index = unescaper.index
                throw failure(error.reason)
            }
            index = unescaper.index
        }
        let text = UnsafeBufferPointer(rebasing: bytes[start..<index])
        if seen >= 0x80, !String(decoding: text, as: UTF8.self).utf8.elementsEqual(text) {
            throw JSONReadError(reason: "a string is not valid UTF-8", offset: start)
        }
        var flags: UInt8 = escaped ? JSONDocument.Entry.escaped : 0
        if seen >= 0x80 { flags |= JSONDocument.Entry.nonASCII }
        append(.string, flags: flags, from: start, to: index)
        index += 1
    }

}

/// Turns one escape sequence (after its backslash) into UTF-8: used to check strings while
/// parsing and to decode them when they are read.
struct JSONUnescaper {
    let bytes: UnsafeBufferPointer<UInt8>
    /// Just after the backslash; after ``unescape(into:)``, just after the sequence (or at the
    /// byte at fault when it throws).
    var index: Int

    /// What was wrong with a sequence.
    struct Failure: Error {
        var reason: String
    }

    mutating func unescape(into output: inout [UInt8]) throws(Failure) {
        guard index < bytes.count else { throw Failure(reason: "unterminated string") }
        let escaped = bytes[index]
        switch escaped {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): output.append(escaped)
        case UInt8(ascii: "b"): output.append(0x08)
        case UInt8(ascii: "f"): output.append(0x0C)
        case UInt8(ascii: "n"): output.append(0x0A)
        case UInt8(ascii: "r"): output.append(0x0D)
        case UInt8(ascii: "t"): output.append(0x09)
        case UInt8(ascii: "u"):
            index += 1
            let unit = try hexUnit()
            let value: UInt32
            switch unit {
            case 0xD800...0xDBFF:
                guard bytes.count - index >= 2, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                    throw Failure(reason: "a high surrogate escape must be followed by a low one")
                }
                index += 2
                let low = try hexUnit()
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw Failure(reason: "a high surrogate escape must be followed by a low one")
                }
                value = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
            case 0xDC00...0xDFFF:
                throw Failure(reason: "a low surrogate escape without a high one before it")
            default:
                value = unit
            }
            guard let scalar = Unicode.Scalar(value) else { throw Failure(reason: "invalid \\u escape") }
            output.append(contentsOf: UTF8.encode(scalar)!)
            return
        default:
            throw Failure(reason: "invalid escape \\\(describeByte(escaped)) in a string")
        }
        index += 1
    }

    /// The four hex digits of a `\u` escape.
    private mutating func hexUnit() throws(Failure) -> UInt32 {
        guard bytes.count - index >= 4 else { throw Failure(reason: "a \\u escape needs four hex digits") }
        var unit: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw Failure(reason: "a \\u escape needs four hex digits")
            }
            unit = unit << 4 | UInt32(digit)
            index += 1
        }
        return unit
    }
}

/// A byte for an error message: the character when printable ASCII, else its hex value.
private func describeByte(_ byte: UInt8) -> String {
    (0x21..<0x7F).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "0x" + String(byte, radix: 16, uppercase: true)
}
