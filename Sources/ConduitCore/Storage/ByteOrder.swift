/// The byte order of an integer field in a file or wire format.
///
/// Conduit's own files are little-endian (shape logs, state files); the spool's frame and segment
/// headers are big-endian like the pgoutput messages they carry. Each format's owner documents its
/// layout; these helpers are the one place integers are put into and taken out of bytes.
public enum ByteOrder: Sendable {
    case bigEndian
    case littleEndian

    @inlinable @inline(__always)
    func encode<T: FixedWidthInteger>(_ value: T) -> T {
        self == .bigEndian ? value.bigEndian : value.littleEndian
    }

    @inlinable @inline(__always)
    func decode<T: FixedWidthInteger>(_ stored: T) -> T {
        self == .bigEndian ? T(bigEndian: stored) : T(littleEndian: stored)
    }
}

extension Array where Element == UInt8 {
    /// Appends `value` in `order`.
    @inlinable @inline(__always)
    public mutating func appendInteger<T: FixedWidthInteger>(_ value: T, _ order: ByteOrder) {
        Swift.withUnsafeBytes(of: order.encode(value)) { append(contentsOf: $0) }
    }

    /// The `T` stored in `order` at byte `offset`; the caller has checked the bounds.
    @inlinable @inline(__always)
    public func loadInteger<T: FixedWidthInteger>(_: T.Type, at offset: Int, _ order: ByteOrder) -> T {
        withUnsafeBytes { $0.loadInteger(T.self, at: offset, order) }
    }
}

extension ArraySlice where Element == UInt8 {
    /// The `T` stored in `order` at `offset` bytes from the slice's start.
    @inlinable @inline(__always)
    public func loadInteger<T: FixedWidthInteger>(_: T.Type, at offset: Int, _ order: ByteOrder) -> T {
        withUnsafeBytes { $0.loadInteger(T.self, at: offset, order) }
    }
}

extension UnsafeRawBufferPointer {
    /// The `T` stored in `order` at byte `offset`; the caller has checked the bounds.
    @inlinable @inline(__always)
    public func loadInteger<T: FixedWidthInteger>(_: T.Type, at offset: Int, _ order: ByteOrder) -> T {
        order.decode(loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}

extension UnsafeMutableRawBufferPointer {
    /// Stores `value` in `order` at byte `offset`; the caller has checked the bounds.
    @inlinable @inline(__always)
    public func storeInteger<T: FixedWidthInteger>(_ value: T, at offset: Int, _ order: ByteOrder) {
        storeBytes(of: order.encode(value), toByteOffset: offset, as: T.self)
    }
}
