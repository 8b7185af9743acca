/// A UUID as two 64-bit halves; compares like PostgreSQL's `uuid` (bytewise).
struct UUIDValue: Hashable, Comparable, Sendable {
    var high: UInt64
    var low: UInt64

    static func < (a: UUIDValue, b: UUIDValue) -> Bool { (a.high, a.low) < (b.high, b.low) }

    /// Parses `uuid_in` syntax: 32 hex digits, optionally hyphenated after any group of four,
    /// optionally in braces.
    init?(text: String) {
        var scalars = text.unicodeScalars[...]
        if scalars.first == "{" {
            guard scalars.last == "}" else { return nil }
            scalars = scalars.dropFirst().dropLast()
        }
        var high: UInt64 = 0
        var low: UInt64 = 0
        var count = 0
        var previousWasHyphen = true
        for c in scalars {
            if c == "-" {
                guard !previousWasHyphen, count % 4 == 0, count < 32 else { return nil }
                previousWasHyphen = true
                continue
            }
            previousWasHyphen = false
            let nibble: UInt64
            switch c {
            case "0"..."9": nibble = UInt64(c.value - 48)
            case "a"..."f": nibble = UInt64(c.value - 87)
            case "A"..."F": nibble = UInt64(c.value - 55)
            default: return nil
            }
            if count < 16 { high = high << 4 | nibble } else if count < 32 { low = low << 4 | nibble } else { return nil }
            count += 1
        }
        guard count == 32, !previousWasHyphen else { return nil }
        self.high = high
        self.low = low
    }

    /// Lower-case `8-4-4-4-12` form, as `uuid_out` prints it.
    var text: String {
        func hex(_ value: UInt64, _ digits: Int) -> String {
            let raw = String(value, radix: 16)
            return String(repeating: "0", count: digits - raw.count) + raw
        }
        let h = hex(high, 16)
        let l = hex(low, 16)
        return "\(h.prefix(8))-\(h.dropFirst(8).prefix(4))-\(h.suffix(4))-\(l.prefix(4))-\(l.suffix(12))"
    }
}
