import ConduitCore

#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

/// A bounds-checked, big-endian cursor over one message's bytes.
///
/// Every read checks the remaining length first and throws ``PgOutputDecodingError`` instead of
/// trapping. Offsets are relative to the start of the buffer, which is where the tag byte of the
/// message lives, so errors report positions the way a hex dump of the message shows them.
///
/// - Important: the buffer is only valid inside the `withUnsafeBytes` call that produced it; the
///   reader must not escape it. Byte fields are returned as ranges so the caller can slice the
///   owning array without copying.
struct ByteReader {
    let buffer: UnsafeRawBufferPointer
    let tag: UInt8
    private(set) var offset: Int

    init(_ buffer: UnsafeRawBufferPointer, tag: UInt8, offset: Int = 0) {
        self.buffer = buffer
        self.tag = tag
        self.offset = offset
    }

    var remaining: Int { buffer.count - offset }

    func error(_ reason: PgOutputDecodingError.Reason) -> PgOutputDecodingError {
        PgOutputDecodingError(tag: tag, offset: offset, reason: reason)
    }

    @inline(__always)
    private func require(_ count: Int, _ field: StaticString) throws(PgOutputDecodingError) {
        guard count <= remaining else {
            throw error(.truncated(field: "\(field)", needed: count, available: remaining))
        }
    }

    @inline(__always)
    private mutating func readInteger<T: FixedWidthInteger>(_: T.Type, _ field: StaticString) throws(PgOutputDecodingError) -> T {
        try require(MemoryLayout<T>.size, field)
        let value = buffer.loadInteger(T.self, at: offset, .bigEndian)
        offset += MemoryLayout<T>.size
        return value
    }

    mutating func readUInt8(_ field: StaticString) throws(PgOutputDecodingError) -> UInt8 {
        try readInteger(UInt8.self, field)
    }

    mutating func readUInt16(_ field: StaticString) throws(PgOutputDecodingError) -> UInt16 {
        try readInteger(UInt16.self, field)
    }

    mutating func readUInt32(_ field: StaticString) throws(PgOutputDecodingError) -> UInt32 {
        try readInteger(UInt32.self, field)
    }

    mutating func readInt32(_ field: StaticString) throws(PgOutputDecodingError) -> Int32 {
        try readInteger(Int32.self, field)
    }

    mutating func readUInt64(_ field: StaticString) throws(PgOutputDecodingError) -> UInt64 {
        try readInteger(UInt64.self, field)
    }

    mutating func readInt64(_ field: StaticString) throws(PgOutputDecodingError) -> Int64 {
        try readInteger(Int64.self, field)
    }

    mutating func readLSN(_ field: StaticString) throws(PgOutputDecodingError) -> LSN {
        LSN(try readUInt64(field))
    }

    /// Consumes `count` bytes and returns their position in the buffer.
    mutating func readRange(count: Int, _ field: StaticString) throws(PgOutputDecodingError) -> Range<Int> {
        try require(count, field)
        let start = offset
        offset += count
        return start..<offset
    }

    /// Reads a NUL-terminated UTF-8 string and consumes its terminator.
    mutating func readCString(_ field: StaticString) throws(PgOutputDecodingError) -> String {
        guard let base = buffer.baseAddress, remaining > 0,
            let found = memchr(base + offset, 0, remaining)
        else {
            throw error(.missingNulTerminator(field: "\(field)"))
        }
        let nul = UnsafeRawPointer(found) - (base + offset)
        let bytes = UnsafeRawBufferPointer(start: base + offset, count: nul)
        guard let string = String(validating: bytes, as: UTF8.self) else {
            throw error(.invalidUTF8(field: "\(field)"))
        }
        offset += nul + 1
        return string
    }

    /// Throws if anything is left after a complete message.
    func expectEnd() throws(PgOutputDecodingError) {
        guard remaining == 0 else { throw error(.trailingBytes(count: remaining)) }
    }
}
