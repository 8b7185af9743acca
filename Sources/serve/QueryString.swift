/// `application/x-www-form-urlencoded` query parsing, as Plug does it (protocol.md §3.0).
///
/// Hummingbird's `URI.queryParameters` neither decodes keys (`params%5B1%5D`) nor turns `+`
/// into a space, and the TypeScript client sends both, so serve parses the raw query itself.
enum QueryString {
    /// The pairs in order; a key without `=` has the value `""`.
    static func parse(_ query: String?) -> [(key: String, value: String)] {
        guard let query, !query.isEmpty else { return [] }
        return query.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            if let equals = pair.firstIndex(of: "=") {
                return (decode(pair[..<equals]), decode(pair[pair.index(after: equals)...]))
            }
            return (decode(pair), "")
        }
    }

    /// Percent-decodes `text`, with `+` as a space. Malformed escapes are kept literally, and
    /// byte sequences that are not UTF-8 are repaired with U+FFFD.
    static func decode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                if iterator.count >= 2, let high = hexValue(iterator[iterator.startIndex]),
                    let low = hexValue(iterator[iterator.startIndex + 1])
                {
                    bytes.append(high << 4 | low)
                    iterator.removeFirst(2)
                } else {
                    bytes.append(byte)
                }
            default:
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Percent-decodes a URL path (no `+` rule).
    static func decodePath(_ path: String) -> String {
        decode(Substring(path.replacingPlus()))
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

extension String {
    /// Protects a literal `+` in a path from the query rule by escaping it first.
    fileprivate func replacingPlus() -> String {
        var result = ""
        for character in self { result += character == "+" ? "%2B" : String(character) }
        return result
    }
}
