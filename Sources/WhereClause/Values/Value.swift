#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A runtime SQL value. The static ``SQLType`` decides which case a value has: integers of
/// all widths share ``int(_:)``; text, varchar, bpchar and enums share ``text(_:)`` (bpchar
/// keeps its padding; comparisons strip it).
enum Value: Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case float4(Float)
    case float8(Double)
    case numeric(Numeric)
    case text(String)
    case uuid(UUIDValue)
    /// Days since 2000-01-01; `Int64.max`/`Int64.min` are ±infinity.
    case date(Int64)
    /// Microseconds since midnight.
    case time(Int64)
    /// Microseconds since 2000-01-01 00:00; `Int64.max`/`Int64.min` are ±infinity.
    case timestamp(Int64)
    /// Microseconds since 2000-01-01 00:00 UTC.
    case timestamptz(Int64)
    case interval(Interval)
    case array(ArrayValue)

    var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}

/// A PostgreSQL array value: elements in row-major order plus the length of each dimension.
/// Lower bounds are always 1 (decorated input such as `[0:1]={…}` keeps its shape but not its
/// bounds). An empty array has no dimensions.
struct ArrayValue: Sendable {
    var elements: [Value]
    var dimensions: [Int]

    init(elements: [Value], dimensions: [Int]) {
        self.elements = elements
        self.dimensions = elements.isEmpty ? [] : dimensions
    }

    /// A one-dimensional array.
    init(_ elements: [Value]) {
        self.init(elements: elements, dimensions: [elements.count])
    }

    static let empty = ArrayValue(elements: [], dimensions: [])
}

/// Total orders and equality for non-null values of the same static type.
enum ValueOrder {
    /// Compares two non-null values of the same type; bpchar ignores trailing spaces; text
    /// compares by UTF-8 bytes (the C collation). Floats and numerics order NaN above
    /// everything and treat NaN as equal to NaN, like PostgreSQL's btree operators.
    static func compare(_ a: Value, _ b: Value, bpchar: Bool = false) -> Int {
        switch (a, b) {
        case (.int(let x), .int(let y)): return x == y ? 0 : (x < y ? -1 : 1)
        case (.float8(let x), .float8(let y)): return compareFloats(x, y)
        case (.float4(let x), .float4(let y)): return compareFloats(Double(x), Double(y))
        case (.numeric(let x), .numeric(let y)): return Numeric.compare(x, y)
        case (.text(let x), .text(let y)):
            return bpchar ? compareBytes(x.strippingTrailingSpaces(), y.strippingTrailingSpaces()) : compareBytes(x, y)
        case (.bool(let x), .bool(let y)): return x == y ? 0 : (x ? 1 : -1)
        case (.uuid(let x), .uuid(let y)): return x == y ? 0 : (x < y ? -1 : 1)
        case (.date(let x), .date(let y)), (.time(let x), .time(let y)),
            (.timestamp(let x), .timestamp(let y)), (.timestamptz(let x), .timestamptz(let y)):
            return x == y ? 0 : (x < y ? -1 : 1)
        case (.interval(let x), .interval(let y)): return Interval.compare(x, y)
        case (.array(let x), .array(let y)): return compareArrays(x, y, bpchar: bpchar)
        default: return compareMismatched(a, b)
        }
    }

    private static func compareMismatched(_ a: Value, _ b: Value) -> Int {
        if a.isNull { return b.isNull ? 0 : 1 }
        if b.isNull { return -1 }
        return 0
    }

    static func compareFloats(_ x: Double, _ y: Double) -> Int {
        if x.isNaN { return y.isNaN ? 0 : 1 }
        if y.isNaN { return -1 }
        return x == y ? 0 : (x < y ? -1 : 1)
    }

    static func compareBytes(_ x: String, _ y: String) -> Int {
        let fast = x.utf8.withContiguousStorageIfAvailable { a in
            y.utf8.withContiguousStorageIfAvailable { b -> Int in
                let common = Swift.min(a.count, b.count)
                if common > 0, let pa = a.baseAddress, let pb = b.baseAddress {
                    let c = memcmp(pa, pb, common)
                    if c != 0 { return c < 0 ? -1 : 1 }
                }
                return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
            }
        }
        if let fast, let result = fast { return result }
        var i = x.utf8.makeIterator()
        var j = y.utf8.makeIterator()
        while true {
            switch (i.next(), j.next()) {
            case (nil, nil): return 0
            case (nil, _): return -1
            case (_, nil): return 1
            case (let p?, let q?): if p != q { return p < q ? -1 : 1 }
            }
        }
    }

    /// `array_cmp`: element-wise (NULL sorts after non-NULL), then by element count, number of
    /// dimensions and dimension lengths.
    static func compareArrays(_ x: ArrayValue, _ y: ArrayValue, bpchar: Bool) -> Int {
        for (p, q) in zip(x.elements, y.elements) {
            let c: Int
            switch (p.isNull, q.isNull) {
            case (true, true): c = 0
            case (true, false): c = 1
            case (false, true): c = -1
            case (false, false): c = compare(p, q, bpchar: bpchar)
            }
            if c != 0 { return c }
        }
        if x.elements.count != y.elements.count { return x.elements.count < y.elements.count ? -1 : 1 }
        if x.dimensions.count != y.dimensions.count { return x.dimensions.count < y.dimensions.count ? -1 : 1 }
        for (p, q) in zip(x.dimensions, y.dimensions) where p != q { return p < q ? -1 : 1 }
        return 0
    }
}

extension String {
    /// bpchar semantics: trailing spaces are insignificant.
    func strippingTrailingSpaces() -> String {
        guard utf8.last == 0x20 else { return self }
        var view = Substring(self)
        while view.utf8.last == 0x20 { view = view.dropLast() }
        return String(view)
    }
}
