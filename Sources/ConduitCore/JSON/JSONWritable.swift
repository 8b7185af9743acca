/// A value that writes its JSON through ``JSONWriter``, without Foundation's `JSONEncoder`: the
/// shape's document, written once per new shape on router's loop (`JSONEncoder` was about a tenth
/// of router's samples while shapes were being created, issue 11).
///
/// A conformance writes what the type's `Encodable` conformance writes — the same keys, optionals
/// that are nil left out — so ``JSONReadable`` and `JSONDecoder` read either (checked against
/// `JSONEncoder` by the tests of each conformance). The writer's own counterpart of
/// ``JSONReadable``.
public protocol JSONWritable {
    func write(to writer: inout JSONWriter)
}

extension JSONWriter {
    /// Writes an object whose members `body` adds (``JSONObjectMembers/add(_:_:)``).
    public mutating func object(_ body: (inout JSONObjectMembers) -> Void) {
        var members = JSONObjectMembers(writer: self)
        // The bytes move into `members` and back: never copied.
        bytes = []
        members.writer.raw(UInt8(ascii: "{"))
        body(&members)
        members.writer.raw(UInt8(ascii: "}"))
        swap(&bytes, &members.writer.bytes)
    }

    /// Writes `value`.
    public mutating func value(_ value: some JSONWritable) {
        value.write(to: &self)
    }
}

/// The members of an object being written (``JSONWriter/object(_:)``): commas between them, nil
/// values left out as `Encodable` leaves them out.
public struct JSONObjectMembers {
    fileprivate var writer: JSONWriter
    private var isFirst = true

    fileprivate init(writer: JSONWriter) {
        self.writer = writer
    }

    /// Adds `"key":value`, or nothing when `value` is nil.
    public mutating func add(_ key: String, _ value: (some JSONWritable)?) {
        guard let value else { return }
        if !isFirst { writer.raw(UInt8(ascii: ",")) }
        isFirst = false
        writer.key(key)
        value.write(to: &writer)
    }
}

extension String: JSONWritable {
    public func write(to writer: inout JSONWriter) { writer.string(self) }
}

extension Bool: JSONWritable {
    public func write(to writer: inout JSONWriter) { writer.raw(self ? "true" : "false") }
}

extension Int: JSONWritable {
    public func write(to writer: inout JSONWriter) { writer.integer(self) }
}

extension UInt32: JSONWritable {
    public func write(to writer: inout JSONWriter) { writer.integer(self) }
}

extension UInt64: JSONWritable {
    public func write(to writer: inout JSONWriter) { writer.integer(self) }
}

extension Array: JSONWritable where Element: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.raw(UInt8(ascii: "["))
        for (index, element) in enumerated() {
            if index > 0 { writer.raw(UInt8(ascii: ",")) }
            element.write(to: &writer)
        }
        writer.raw(UInt8(ascii: "]"))
    }
}

/// As `Encodable` writes a dictionary with `Int` keys: an object whose keys are the decimal numbers.
extension Dictionary: JSONWritable where Key == Int, Value: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.object { members in
            for (key, value) in self.sorted(by: { $0.key < $1.key }) { members.add(String(key), value) }
        }
    }
}
