/// A PostgreSQL write-ahead-log position (`pg_lsn`).
///
/// Stored as the 64-bit byte position; printed the way PostgreSQL prints it (`16/B374D848`,
/// two upper-case hex halves). Protocol headers (`lsn`, `global_last_seen_lsn`) use the decimal
/// form, ``decimal``.
public struct LSN: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The byte position in the WAL.
    public var value: UInt64

    public static let zero = LSN(0)

    public init(_ value: UInt64) {
        self.value = value
    }

    /// Parses PostgreSQL's `X/Y` text form (hex halves). Returns nil on anything else.
    public init?(string: String) {
        let parts = string.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, parts[0].count <= 8, parts[1].count <= 8,
            let high = UInt64(parts[0], radix: 16), let low = UInt64(parts[1], radix: 16)
        else { return nil }
        self.value = high << 32 | low
    }

    /// `X/Y` as PostgreSQL prints it.
    public var description: String {
        String(value >> 32, radix: 16, uppercase: true) + "/" + String(value & 0xFFFF_FFFF, radix: 16, uppercase: true)
    }

    /// The decimal form used on the HTTP wire (`lsn` and `global_last_seen_lsn` headers).
    public var decimal: String { String(value) }

    /// Sixteen zero-padded upper-case hex digits: sorts like the LSN; used in file names.
    public var paddedHex: String {
        let hex = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    public static func < (lhs: LSN, rhs: LSN) -> Bool { lhs.value < rhs.value }

    public init(from decoder: any Decoder) throws {
        self.value = try decoder.singleValueContainer().decode(UInt64.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}
