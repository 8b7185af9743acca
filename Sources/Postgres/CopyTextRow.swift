#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

/// One row of PostgreSQL's COPY text format, split into columns and unescaped, read by column
/// like ``PostgresRow``: what ``PostgresConnection/copyOut(_:onRow:)`` hands over for each row.
///
/// The format (PostgreSQL 15, `COPY`, "Text Format",
/// https://www.postgresql.org/docs/15/sql-copy.html#id-1.9.3.55.9.2):
/// - a row is its columns separated by a tab (0x09), ended by a newline (0x0A);
/// - a column that is exactly `\N` is NULL (so `\\N` is the two characters `\N`);
/// - a backslash escapes the next character: `\b` backspace, `\f` form feed, `\n` newline,
///   `\r` carriage return, `\t` tab, `\v` vertical tab; `\` and one to three octal digits is
///   the byte they give, `\x` and one or two hex digits likewise (`\x` before anything else is
///   `x`); any other escaped character stands for itself (`\\` is one backslash, and an escaped
///   tab belongs to the column).
///
/// `COPY … TO` writes only the letter escapes and `\\`, and never a raw tab, newline or carriage
/// return inside a value; the other forms are read as `COPY … FROM` reads them, so anything
/// PostgreSQL accepts as text-format input parses to the same bytes.
///
/// Reuse one value for every row of a copy: ``parse(_:)`` keeps its buffers' capacity, so a row
/// costs no allocation once they have grown. A row without a backslash (the common case) is not
/// copied at all: its columns are read where they lie in the line.
public struct CopyTextRow {
    @usableFromInline
    enum Field {
        case null
        /// Bytes of the line, unchanged.
        case line(Range<Int>)
        /// Bytes of ``decoded``: the column had escapes.
        case decoded(Range<Int>)
    }

    @usableFromInline var fields: [Field] = []
    @usableFromInline var decoded: [UInt8] = []
    @usableFromInline var line = UnsafeRawBufferPointer(start: nil, count: 0)

    public init() {}

    /// Number of columns of the row parsed last.
    public var count: Int { fields.count }

    /// Parses `line`: one row, its newline included. The row reads `line` in place afterwards,
    /// so `line` must stay valid while the row is read, and until the next `parse`.
    ///
    /// - Throws: ``PostgresError`` when `line` does not end with a newline or ends inside an
    ///   escape (never naming the row's values).
    public mutating func parse(_ line: UnsafeRawBufferPointer) throws(PostgresError) {
        guard let base = line.baseAddress, line.count > 0, line[line.count - 1] == Self.newline else {
            throw PostgresError(message: "COPY text row does not end with a newline")
        }
        self.line = line
        fields.removeAll(keepingCapacity: true)
        decoded.removeAll(keepingCapacity: true)
        let end = line.count - 1
        if memchr(base, Int32(Self.backslash), end) == nil {
            splitPlain(base, end: end)
        } else {
            try splitEscaped(end: end)
        }
    }

    /// Calls `body` with column `column`'s bytes, or nil for NULL. The bytes are the line's or
    /// the row's own: do not keep them past `body`.
    @inlinable
    public func withValue<R>(at column: Int, _ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R {
        switch fields[column] {
        case .null: return try body(nil)
        case .line(let range): return try body(UnsafeRawBufferPointer(rebasing: line[range]))
        case .decoded(let range): return try decoded.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[range])) }
        }
    }

    static let newline = UInt8(ascii: "\n")
    static let tab = UInt8(ascii: "\t")
    static let backslash = UInt8(ascii: "\\")

    /// No backslash in the row: columns are the runs between tabs, none of them NULL.
    private mutating func splitPlain(_ base: UnsafeRawPointer, end: Int) {
        var start = 0
        while let tab = memchr(base + start, Int32(Self.tab), end - start) {
            let stop = base.distance(to: UnsafeRawPointer(tab))
            fields.append(.line(start..<stop))
            start = stop + 1
        }
        fields.append(.line(start..<end))
    }

    /// A row with escapes: each column is NULL (`\N`), or unescaped into ``decoded``.
    private mutating func splitEscaped(end: Int) throws(PostgresError) {
        var index = 0
        while true {
            let start = index
            let first = decoded.count
            while index < end, line[index] != Self.tab {
                let byte = line[index]
                index += 1
                guard byte == Self.backslash else {
                    decoded.append(byte)
                    continue
                }
                guard index < end else { throw PostgresError(message: "COPY text row ends inside an escape") }
                decoded.append(unescape(at: &index, end: end))
            }
            if index - start == 2 && line[start] == Self.backslash && line[start + 1] == UInt8(ascii: "N") {
                decoded.removeSubrange(first...)
                fields.append(.null)
            } else {
                fields.append(.decoded(first..<decoded.count))
            }
            guard index < end else { return }
            index += 1
        }
    }

    /// The byte the escape whose letter is at `index` stands for; `index` moves past it.
    private func unescape(at index: inout Int, end: Int) -> UInt8 {
        let letter = line[index]
        index += 1
        switch letter {
        case UInt8(ascii: "b"): return 0x08
        case UInt8(ascii: "f"): return 0x0C
        case UInt8(ascii: "n"): return 0x0A
        case UInt8(ascii: "r"): return 0x0D
        case UInt8(ascii: "t"): return 0x09
        case UInt8(ascii: "v"): return 0x0B
        case UInt8(ascii: "0")...UInt8(ascii: "7"):
            // Up to three octal digits; PostgreSQL keeps the low eight bits (`\777` is 0xFF).
            var value = Int(letter - UInt8(ascii: "0"))
            for _ in 0..<2 {
                guard index < end, let digit = Self.digit(line[index], radix: 8) else { break }
                value = value << 3 + digit
                index += 1
            }
            return UInt8(truncatingIfNeeded: value)
        case UInt8(ascii: "x"):
            guard index < end, var value = Self.digit(line[index], radix: 16) else { return letter }
            index += 1
            if index < end, let digit = Self.digit(line[index], radix: 16) {
                value = value << 4 + digit
                index += 1
            }
            return UInt8(value)
        default:
            return letter
        }
    }

    private static func digit(_ byte: UInt8, radix: Int) -> Int? {
        let value: Int
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): value = Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): value = Int(byte - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): value = Int(byte - UInt8(ascii: "A")) + 10
        default: return nil
        }
        return value < radix ? value : nil
    }
}
