/// Text input and output functions per type: PostgreSQL's `*in`/`*out` for the supported
/// types, under `DateStyle = ISO`, `TimeZone = UTC`, `IntervalStyle = iso_8601`,
/// `extra_float_digits = 1`.
enum ValueText {
    /// Parses `text` as a value of `type` (the type's input function); nil when invalid.
    static func parse(_ text: String, as type: SQLType) -> Value? {
        if type.isArray {
            let element = type.element
            return ArrayText.parse(text) { parse($0, as: element) }.map(Value.array)
        }
        switch type.base {
        case .bool: return parseBool(text).map(Value.bool)
        case .int2: return IntegerText.parse(text, min: Int64(Int16.min), max: Int64(Int16.max)).map(Value.int)
        case .int4: return IntegerText.parse(text, min: Int64(Int32.min), max: Int64(Int32.max)).map(Value.int)
        case .int8: return IntegerText.parse(text, min: Int64.min, max: Int64.max).map(Value.int)
        case .numeric: return Numeric(text: text).map(Value.numeric)
        case .float4: return FloatText.parseFloat(text).map(Value.float4)
        case .float8: return FloatText.parseDouble(text).map(Value.float8)
        case .text, .varchar, .bpchar, .enumeration, .unknown: return .text(text)
        case .uuid: return UUIDValue(text: text).map(Value.uuid)
        case .date: return DateTimeText.parseDate(text).map(Value.date)
        case .time: return DateTimeText.parseTime(text).map(Value.time)
        case .timestamp: return DateTimeText.parseTimestamp(text, withTimeZone: false).map(Value.timestamp)
        case .timestamptz: return DateTimeText.parseTimestamp(text, withTimeZone: true).map(Value.timestamptz)
        case .interval: return IntervalText.parse(text).map(Value.interval)
        }
    }

    /// `boolin`: case-insensitive unique prefixes of true/false/yes/no, on/off, 1/0.
    static func parseBool(_ text: String) -> Bool? {
        let word = text.trimmingSQLWhitespace().lowercased()
        guard !word.isEmpty else { return nil }
        if "true".hasPrefix(word) || "yes".hasPrefix(word) || word == "on" || word == "1" { return true }
        if "false".hasPrefix(word) || "no".hasPrefix(word) || (word.count >= 2 && "off".hasPrefix(word)) || word == "0" {
            return false
        }
        return nil
    }

    /// The type's output function (`boolout` prints `t`/`f`).
    static func format(_ value: Value, as type: SQLType) -> String {
        switch value {
        case .null: return ""
        case .bool(let b): return b ? "t" : "f"
        case .int(let i): return String(i)
        case .float4(let f): return FloatText.format(f)
        case .float8(let d): return FloatText.format(d)
        case .numeric(let n): return n.text
        case .text(let s): return s
        case .uuid(let u): return u.text
        case .date(let d): return DateTimeText.formatDate(d)
        case .time(let t): return DateTimeText.formatTime(t)
        case .timestamp(let t): return DateTimeText.formatTimestamp(t, withTimeZone: false)
        case .timestamptz(let t): return DateTimeText.formatTimestamp(t, withTimeZone: true)
        case .interval(let i): return i.iso8601
        case .array(let a):
            let element = type.element
            return ArrayText.format(a) { format($0, as: element) }
        }
    }
}
