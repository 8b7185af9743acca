@testable import WhereClause

/// SplitMix64: a tiny seeded generator so a failing differential run can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The differential test table: one column per supported type. `ta` holds ASCII-only text
/// (the only text `lower`/`upper`/`ILIKE` are applied to, because the test cluster runs with
/// the C locale, whose case mapping is ASCII-only, while the evaluator maps all of Unicode).
enum DiffTable {
    static let columns: [(name: String, sqlType: String, column: WhereColumn)] = [
        ("i2", "int2", WhereColumn(name: "i2", typeName: "int2")),
        ("i4", "int4", WhereColumn(name: "i4", typeName: "int4")),
        ("i8", "int8", WhereColumn(name: "i8", typeName: "int8")),
        ("n", "numeric", WhereColumn(name: "n", typeName: "numeric")),
        ("f4", "float4", WhereColumn(name: "f4", typeName: "float4")),
        ("f8", "float8", WhereColumn(name: "f8", typeName: "float8")),
        ("t", "text", WhereColumn(name: "t", typeName: "text")),
        ("ta", "text", WhereColumn(name: "ta", typeName: "text")),
        ("v", "varchar", WhereColumn(name: "v", typeName: "varchar")),
        ("c", "bpchar", WhereColumn(name: "c", typeName: "bpchar")),
        ("u", "uuid", WhereColumn(name: "u", typeName: "uuid")),
        ("b", "bool", WhereColumn(name: "b", typeName: "bool")),
        ("d", "date", WhereColumn(name: "d", typeName: "date")),
        ("tm", "time", WhereColumn(name: "tm", typeName: "time")),
        ("ts", "timestamp", WhereColumn(name: "ts", typeName: "timestamp")),
        ("tz", "timestamptz", WhereColumn(name: "tz", typeName: "timestamptz")),
        ("iv", "interval", WhereColumn(name: "iv", typeName: "interval")),
        ("ia", "int4[]", WhereColumn(name: "ia", typeName: "int4", isArray: true)),
        ("xa", "text[]", WhereColumn(name: "xa", typeName: "text", isArray: true)),
    ]
}

/// Random typed rows (as text literals for INSERT) and random well-typed expressions.
struct DiffGenerator {
    var rng: SeededGenerator
    /// Values of the `$n` placeholders generated for the current expression (`$1` first).
    var parameters: [String] = []

    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }
    mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &rng)] }
    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }

    // MARK: Row values

    static let texts = [
        "", "a", "A", "abc", "ABC", "é", "É", "ß", "😀", "a%b", "a_b", "\\", "'", "\"", " x ", "日本語", "z", "Zebra", "a b", "NULL", "{}",
        "ab", "abd",
    ]
    static let asciiTexts = ["", "a", "A", "abc", "ABC", "a%b", "a_b", "x\\y", "Hello World", "hello", "HELLO", "zz", "_", "%"]

    mutating func rowValue(_ type: String) -> String? {
        if chance(0.1) { return nil }
        if chance(0.4), let random = randomValue(type) { return random }
        switch type {
        case "int2": return pick(["0", "1", "-1", "32767", "-32768", "100", "-7", String(int(-32768...32767))])
        case "int4": return pick(["0", "1", "-1", "2147483647", "-2147483648", "42", "-100", String(int(-100_000...100_000))])
        case "int8":
            return pick([
                "0", "1", "-1", "9223372036854775807", "-9223372036854775808", "42", String(int(-1_000_000...1_000_000)), "4294967296",
            ])
        case "numeric":
            return pick([
                "0", "1", "-1", "1.0", "1.50", "-0.001", "123456789012345678901234567890.123456789", "NaN", "Infinity", "-Infinity",
                "0.000000000000000000001", "3.14159", "2", "10", "99999999999999999999", "\(int(-1000...1000)).\(int(0...999))",
            ])
        case "float4":
            return pick([
                "0", "-0", "1", "-1.5", "3.4e38", "-3.4e38", "1e-30", "NaN", "Infinity", "-Infinity", "0.1", "16777217",
                "\(int(-1000...1000)).25",
            ])
        case "float8":
            return pick([
                "0", "-0", "1", "-1.5", "1e308", "-1e308", "2.2250738585072014e-308", "NaN", "Infinity", "-Infinity", "0.1",
                "0.30000000000000004",
                "9007199254740993", "\(int(-1000...1000)).125", "1e15", "1e16", "123456.789",
            ])
        case "text", "varchar": return pick(DiffGenerator.texts)
        case "ascii": return pick(DiffGenerator.asciiTexts)
        case "bpchar": return pick(["", "a", "a ", "a  ", "ab", "ab ", " ab", "é ", "  "])
        case "uuid":
            return pick([
                "00000000-0000-0000-0000-000000000000", "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12",
                "ffffffff-ffff-ffff-ffff-ffffffffffff",
            ])
        case "bool": return pick(["t", "f"])
        case "date":
            return pick([
                "2024-01-01", "2024-02-29", "2000-01-01", "1999-12-31", "1970-01-01", "0044-03-15 BC", "infinity", "-infinity",
                "\(int(1900...2100))-\(int(1...12))-\(int(1...28))",
            ])
        case "time":
            return pick(["00:00:00", "12:34:56.789", "23:59:59.999999", "24:00:00", "\(int(0...23)):\(int(10...59)):\(int(10...59))"])
        case "timestamp", "timestamptz":
            return pick([
                "2024-01-01 00:00:00", "2024-02-29 12:30:00.5", "2000-01-01 00:00:00", "1970-01-01 00:00:00", "infinity", "-infinity",
                "0044-03-15 12:00:00 BC",
                "\(int(1900...2100))-\(int(1...12))-\(int(1...28)) \(int(0...23)):\(int(10...59)):\(int(10...59)).\(int(0...999999))",
            ])
        case "interval":
            return pick([
                "00:00:00", "1 day", "-1 day", "1 mon", "30 days", "1 year 2 mons 3 days 04:05:06.5", "-3 days 04:00:00", "P1DT2H",
                "36:00:00", "1 mon -1 days", "\(int(-50...50)) days \(int(0...23)):00:00",
            ])
        case "int4[]":
            return pick([
                "{}", "{1,2,3}", "{1,NULL,3}", "{NULL}", "{-2147483648,2147483647}", "{{1,2},{3,4}}", "{42}", "{1,1,2}",
                "{\(int(-5...5)),\(int(-5...5))}",
            ])
        case "text[]": return pick(["{}", "{a,b}", "{\"a b\",NULL,c}", "{\"\"}", "{é,😀}", "{A}", "{\"x,y\"}"])
        default: return nil
        }
    }

    static let textPool: [String] = [
        "a", "b", "A", "Z", "z", "0", " ", "%", "_", "\\", "'", "\"", ",", "{", "}", "é", "e\u{301}", "ß", "Σ", "σ", "日", "😀", "x", "\t",
        "\n",
    ]

    mutating func randomText(maxLength: Int = 6, ascii: Bool = false) -> String {
        let pool = ascii ? ["a", "b", "A", "B", "z", "%", "_", " ", "\\", "0"] : DiffGenerator.textPool
        return (0..<int(0...maxLength)).map { _ in pick(pool) }.joined()
    }

    /// Values spread over each type's whole domain (complementing the curated edge cases).
    mutating func randomValue(_ type: String) -> String? {
        switch type {
        case "int2": return String(int(Int(Int16.min)...Int(Int16.max)))
        case "int4": return String(int(Int(Int32.min)...Int(Int32.max)))
        case "int8": return String(Int64.random(in: .min ... .max, using: &rng))
        case "numeric":
            let digits = (0..<int(1...30)).map { _ in String(int(0...9)) }.joined()
            let scale = int(0...min(20, digits.count))
            let split = digits.index(digits.endIndex, offsetBy: -scale)
            return (chance(0.5) ? "-" : "") + digits[..<split] + (scale > 0 ? "." + digits[split...] : "")
        case "float8":
            let value = Double(bitPattern: UInt64.random(in: .min ... .max, using: &rng))
            return value.isNaN ? "NaN" : value.isInfinite ? (value < 0 ? "-Infinity" : "Infinity") : "\(value)"
        case "float4":
            let value = Float(bitPattern: UInt32.random(in: .min ... .max, using: &rng))
            guard !value.isNaN, !value.isInfinite, value.isNormal || value == 0 else { return "0" }
            return "\(value)"
        case "text", "varchar": return randomText()
        case "ascii": return randomText(ascii: true)
        case "bpchar": return randomText(maxLength: 3, ascii: true)
        case "uuid": return (0..<32).map { _ in String(int(0...15), radix: 16) }.joined()
        case "bool": return pick(["true", "false", "yes", "no", "1", "0", "on", "off"])
        case "date":
            let bc = chance(0.1)
            return "\(Calendar.pad(int(1...(bc ? 4000 : 9999)), 4))-\(int(1...12))-\(int(1...28))\(bc ? " BC" : "")"
        case "time": return "\(int(0...23)):\(int(0...59)):\(int(0...59)).\(int(0...999999))"
        case "timestamp", "timestamptz":
            let bc = chance(0.05)
            return
                "\(Calendar.pad(int(1...(bc ? 4000 : 9999)), 4))-\(int(1...12))-\(int(1...28)) \(int(0...23)):\(int(0...59)):\(int(0...59)).\(int(0...999999))\(type == "timestamptz" ? pick(["", "+05:30", "-08", "Z"]) : "")\(bc ? " BC" : "")"
        case "interval":
            return
                "\(int(-2000...2000)) mons \(int(-100_000...100_000)) days \(Int64.random(in: -10_000_000_000_000...10_000_000_000_000, using: &rng)) microseconds"
        case "int4[]":
            let items = (0..<int(0...5)).map { _ in chance(0.15) ? "NULL" : String(int(-5...5)) }
            return "{" + items.joined(separator: ",") + "}"
        case "text[]":
            let items = (0..<int(0...4)).map { _ -> String in
                if chance(0.15) { return "NULL" }
                let text = randomText(maxLength: 3)
                return "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
            }
            return "{" + items.joined(separator: ",") + "}"
        default: return nil
        }
    }
}
