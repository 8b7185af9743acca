/// A replication CopyData frame or pgoutput message that could not be decoded.
///
/// Thrown, never trapped on: bytes from the server (or from a damaged spool) are untrusted input.
/// The error names the message tag, the byte offset inside the message where decoding stopped and
/// why. It never contains column values, so it is safe to log at any level.
public struct PgOutputDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Why decoding stopped.
    public enum Reason: Hashable, Sendable {
        /// The message is empty: there is not even a tag byte.
        case empty
        /// `needed` more bytes were required for `field`, but only `available` remained.
        case truncated(field: String, needed: Int, available: Int)
        /// A string field had no NUL terminator before the end of the message.
        case missingNulTerminator(field: String)
        /// A string field was not valid UTF-8.
        case invalidUTF8(field: String)
        /// A byte with a fixed set of meanings (a tuple column kind, a replica identity, ...) had another value.
        case invalidValue(field: String, value: UInt8)
        /// A length field was negative or too large to be real.
        case invalidLength(field: String, value: Int64)
        /// The message decoded completely but `count` bytes were left over.
        case trailingBytes(count: Int)
        /// A replication CopyData frame started with a tag other than `w` or `k`.
        case unknownTag
    }

    /// The tag byte of the message (`B`, `I`, `w`, ...), or 0 for an empty message.
    public var tag: UInt8
    /// Offset from the start of the message (the tag is at 0) where decoding stopped.
    public var offset: Int
    /// What went wrong.
    public var reason: Reason

    public init(tag: UInt8, offset: Int, reason: Reason) {
        self.tag = tag
        self.offset = offset
        self.reason = reason
    }

    public var description: String {
        let tagText: String
        if (0x20..<0x7F).contains(tag) {
            tagText = "'\(Character(Unicode.Scalar(tag)))'"
        } else {
            tagText = "0x" + String(tag, radix: 16)
        }
        let why: String
        switch reason {
        case .empty:
            why = "the message is empty"
        case .truncated(let field, let needed, let available):
            why = "\(field) needs \(needed) bytes but only \(available) remain (message truncated)"
        case .missingNulTerminator(let field):
            why = "string \(field) has no NUL terminator"
        case .invalidUTF8(let field):
            why = "string \(field) is not valid UTF-8"
        case .invalidValue(let field, let value):
            why = "\(field) has unexpected value 0x\(String(value, radix: 16))"
        case .invalidLength(let field, let value):
            why = "\(field) has invalid length \(value)"
        case .trailingBytes(let count):
            why = "\(count) unexpected bytes follow the end of the message"
        case .unknownTag:
            why = "unknown message tag"
        }
        return "cannot decode message \(tagText) at offset \(offset): \(why)"
    }
}
