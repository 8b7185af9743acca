/// One value of a ``JSONDocument``, decoded only as far as it is read.
public struct JSONNode {
    /// What kind of value it is.
    public enum Kind: UInt8, Sendable {
        case null, `false`, `true`, number, string, array, object

        /// For error messages.
        public var name: String {
            switch self {
            case .null: "null"
            case .false, .true: "a boolean"
            case .number: "a number"
            case .string: "a string"
            case .array: "an array"
            case .object: "an object"
            }
        }
    }

    let document: JSONDocument
    let index: Int

    private var entry: JSONDocument.Entry { document.tape[index] }

    public var kind: Kind { entry.kind }

    /// The tape index just after this value and everything in it.
    private var next: Int {
        let entry = entry
        return entry.kind == .array || entry.kind == .object ? Int(entry.end) : index + 1
    }

    /// The text of a string (without quotes, escapes as written) or a number.
    private func withText<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        let entry = entry
        return document.bytes.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[Int(entry.start)..<Int(entry.end)])) }
    }

    /// A string's value.
    /// - Throws: for another kind of value.
    public func string() throws(JSONReadError) -> String {
        let entry = entry
        guard entry.kind == .string else { throw .mismatch(expected: "a string", found: self) }
        guard entry.flags & JSONDocument.Entry.escaped != 0 else { return withText { String(decoding: $0, as: UTF8.self) } }
        // The parser checked every escape; unescaping again cannot fail.
        return document.bytes.withUnsafeBufferPointer { bytes in
            var output: [UInt8] = []
            output.reserveCapacity(Int(entry.end - entry.start))
            var index = Int(entry.start)
            while index < Int(entry.end) {
                if bytes[index] == UInt8(ascii: "\\") {
                    var unescaper = JSONUnescaper(bytes: bytes, index: index + 1)
                    try? unescaper.unescape(into: &output)
                    index = unescaper.index
                } else {
                    output.append(bytes[index])
                    index += 1
                }
            }
            return String(decoding: output, as: UTF8.self)
        }
    }

    /// A boolean's value.
    /// - Throws: for another kind of value.
    public func bool() throws(JSONReadError) -> Bool {
        switch kind {
        case .true: return true
        case .false: return false
        default: throw .mismatch(expected: "a boolean", found: self)
        }
    }

    /// A number's text as written (valid JSON number syntax); nil for another kind of value.
    public var numberText: String? {
        kind == .number ? withText { String(decoding: $0, as: UTF8.self) } : nil
    }

    /// The integer this number is, when it is written as one and fits in `T`.
    /// - Throws: for another kind of value, a fraction or exponent, or a value out of `T`'s range.
    public func integer<T: FixedWidthInteger>(_ type: T.Type = T.self) throws(JSONReadError) -> T {
        guard kind == .number else { throw .mismatch(expected: "an integer", found: self) }
        let result: T?? = withText { text in
            let negative = text[0] == UInt8(ascii: "-")
            var value: T = 0
            for byte in text[(negative ? 1 : 0)...] {
                let digit = byte &- UInt8(ascii: "0")
                guard digit < 10 else { return .some(nil) }  // a fraction or an exponent
                let (times, overflowed) = value.multipliedReportingOverflow(by: 10)
                let (sum, overflowedAgain) =
                    negative ? times.subtractingReportingOverflow(T(digit)) : times.addingReportingOverflow(T(digit))
                guard !overflowed, !overflowedAgain else { return nil }
                value = sum
            }
            return .some(value)
        }
        switch result {
        case .some(.some(let value)): return value
        case .some(.none): throw JSONReadError(reason: "expected an integer, found a fraction or an exponent")
        case .none: throw JSONReadError(reason: "the number does not fit in \(T.self)")
        }
    }

    /// An array's elements, in order.
    /// - Throws: for another kind of value.
    public func elements() throws(JSONReadError) -> Elements {
        guard kind == .array else { throw .mismatch(expected: "an array", found: self) }
        return Elements(document: document, first: index + 1, count: Int(entry.start))
    }

    /// An object's members, in document order, duplicates kept.
    /// - Throws: for another kind of value.
    public func members() throws(JSONReadError) -> Members {
        guard kind == .object else { throw .mismatch(expected: "an object", found: self) }
        return Members(children: Elements(document: document, first: index + 1, count: 2 * Int(entry.start)))
    }

    /// The elements of an array.
    public struct Elements: Sequence {
        let document: JSONDocument
        let first: Int
        public let count: Int

        public struct Iterator: IteratorProtocol {
            let document: JSONDocument
            var index: Int
            var remaining: Int

            public mutating func next() -> JSONNode? {
                guard remaining > 0 else { return nil }
                remaining -= 1
                let node = JSONNode(document: document, index: index)
                index = node.next
                return node
            }
        }

        public func makeIterator() -> Iterator { Iterator(document: document, index: first, remaining: count) }
    }

    /// The members of an object: each key (a string node) and its value, which follow each
    /// other on the tape like the elements of an array twice as long.
    public struct Members: Sequence {
        let children: Elements

        public var count: Int { children.count / 2 }

        public struct Iterator: IteratorProtocol {
            var children: Elements.Iterator

            public mutating func next() -> (key: JSONNode, value: JSONNode)? {
                guard let key = children.next(), let value = children.next() else { return nil }
                return (key, value)
            }
        }

        public func makeIterator() -> Iterator { Iterator(children: children.makeIterator()) }
    }
}
