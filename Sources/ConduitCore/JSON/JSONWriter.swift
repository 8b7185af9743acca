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

    /// Runs `body` with a writer that appends to `buffer` itself: the array is moved into the
    /// writer and back, never copied.
    @inlinable
    public static func appending<Result>(to buffer: inout [UInt8], _ body: (inout JSONWriter) -> Result) -> Result {
        var writer = JSONWriter(capacity: 0)
        swap(&writer.bytes, &buffer)
        defer { swap(&writer.bytes, &buffer) }
        return body(&writer)
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
    ///
    /// Runs of bytes that need no escape are found eight at a time (``needsEscape(_:)``) and
    /// copied in one piece: most values have nothing to escape.
    @inlinable
    public mutating func string(utf8 buffer: UnsafeRawBufferPointer) {
        bytes.append(UInt8(ascii: "\""))
        escaped(utf8: buffer)
        bytes.append(UInt8(ascii: "\""))
    }

    /// The inside of ``string(utf8:)``: `buffer` escaped, without the quotes around it. Bytes are
    /// escaped one by one, so the escaping of a concatenation is the concatenation of the
    /// escapings: a constant part can be escaped once and reused.
    @inlinable
    public mutating func escaped(utf8 buffer: UnsafeRawBufferPointer) {
        var start = 0
        let count = buffer.count
        var index = 0
        while index < count {
            if index + 8 <= count, !Self.needsEscape(buffer.loadUnaligned(fromByteOffset: index, as: UInt64.self)) {
                index += 8
                continue
            }
            let byte = buffer[index]
            if byte >= 0x20 && byte != 0x22 && byte != 0x5C {
                index += 1
                continue
            }
            if start < index { raw(UnsafeRawBufferPointer(rebasing: buffer[start..<index])) }
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
        if start < count { raw(UnsafeRawBufferPointer(rebasing: buffer[start..<count])) }
    }

    /// True when one of the eight bytes of `word` needs an escape in a JSON string: a control
    /// character (below 0x20), `"` or `\`. Exact: bytes of 0x80 and above (multibyte UTF-8)
    /// never match.
    @inlinable @inline(__always)
    static func needsEscape(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        // The high bit of each byte b whose value is below n (1 <= n <= 0x80). Every byte of
        // `word | highs` is 0x80 + (b & 0x7F) >= n, so subtracting n borrows from no other byte
        // and keeps the byte's high bit exactly when (b & 0x7F) >= n; the complement's high bit
        // says (b & 0x7F) < n, and `~word` adds b < 0x80.
        func below(_ n: UInt64, _ word: UInt64) -> UInt64 { ~((word | highs) &- ones &* n) & ~word & highs }
        // A byte equal to c is a zero byte of word ^ c…c: a byte below 1.
        return below(0x20, word) | below(1, word ^ (ones &* 0x22)) | below(1, word ^ (ones &* 0x5C)) != 0
    }

    /// Appends `buffer` in one copy. (Appending an `UnsafeRawBufferPointer` as a sequence goes
    /// byte by byte; its typed view is copied with `memcpy`.)
    @inlinable @inline(__always)
    public mutating func raw(_ buffer: UnsafeRawBufferPointer) {
        guard let base = buffer.baseAddress else { return }
        bytes.append(contentsOf: UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: buffer.count))
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
