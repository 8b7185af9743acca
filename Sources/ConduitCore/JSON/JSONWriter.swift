/// Appends JSON text to a byte buffer without Foundation: the hot path that renders every change
/// message once, in router.
///
/// Only what the wire format needs: objects, arrays, strings, integers, booleans and null.
/// The caller is responsible for structure (commas, colons) via the helpers below.
public struct JSONWriter {
    public var bytes: [UInt8]

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    @inlinable @inline(__always) public mutating func raw(_ byte: UInt8) { bytes.append(byte) }
    @inlinable @inline(__always) public mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }
    @inlinable public mutating func raw(_ other: [UInt8]) { bytes.append(contentsOf: other) }

    /// A JSON string literal for `value`, escaped per RFC 8259.
    public mutating func string(_ value: String) {
        var value = value
        value.withUTF8 { string(utf8: UnsafeRawBufferPointer($0)) }
    }

    /// A JSON string literal for UTF-8 bytes (invalid UTF-8 is passed through byte for byte;
    /// PostgreSQL text from a UTF-8 database is valid). Inlinable: router renders every value of
    /// every row through it.
    @inlinable
    public mutating func string(utf8 buffer: UnsafeRawBufferPointer) {
        bytes.append(UInt8(ascii: "\""))
        var start = 0
        let count = buffer.count
        var index = 0
        while index < count {
            let byte = buffer[index]
            if byte >= 0x20 && byte != 0x22 && byte != 0x5C {
                index += 1
                continue
            }
            if start < index { bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[start..<index])) }
            switch byte {
            case 0x22: raw("\\\"")
            case 0x5C: raw("\\\\")
            case 0x0A: raw("\\n")
            case 0x0D: raw("\\r")
            case 0x09: raw("\\t")
            case 0x08: raw("\\b")
            case 0x0C: raw("\\f")
            default:
                raw("\\u00")
                bytes.append(JSONWriter.hexDigits[Int(byte >> 4)])
                bytes.append(JSONWriter.hexDigits[Int(byte & 0xF)])
            }
            index += 1
            start = index
        }
        if start < count { bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[start..<count])) }
        bytes.append(UInt8(ascii: "\""))
    }

    @inlinable public mutating func string(utf8 array: [UInt8]) {
        array.withUnsafeBytes { string(utf8: $0) }
    }

    /// `"key":`
    public mutating func key(_ name: String) {
        string(name)
        bytes.append(UInt8(ascii: ":"))
    }

    /// The decimal digits of `value` (no `String` in between: router writes several per entry).
    @inlinable
    public mutating func integer<T: BinaryInteger>(_ value: T) {
        guard let magnitude = UInt64(exactly: value.magnitude) else {
            bytes.append(contentsOf: String(value).utf8)
            return
        }
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for UInt64.max's 20 digits
        let count = withUnsafeMutableBytes(of: &digits) { buffer -> Int in
            var rest = magnitude
            var index = buffer.count
            repeat {
                index -= 1
                buffer[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0
            return buffer.count - index
        }
        withUnsafeBytes(of: &digits) { bytes.append(contentsOf: $0[($0.count - count)...]) }
    }

    @inlinable public mutating func null() { raw("null") }

    @usableFromInline static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}
