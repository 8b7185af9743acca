/// The static type of a where-clause expression: an element type, optionally as an array.
struct SQLType: Hashable, Sendable, CustomStringConvertible {
    /// Element types the engine understands.
    enum Base: Hashable, Sendable {
        case bool, int2, int4, int8, numeric, float4, float8
        case text, varchar, bpchar, uuid
        case date, time, timestamp, timestamptz, interval
        /// PostgreSQL's `unknown`: a string literal or parameter not yet typed by context.
        case unknown
        /// A user-defined enum, by type name. Values behave as text but only `=`/`<>` against
        /// the same enum and `::text` are allowed.
        case enumeration(EnumTypeID)
    }

    var base: Base
    var isArray: Bool

    init(_ base: Base, array: Bool = false) {
        self.base = base
        self.isArray = array
    }

    static let bool = SQLType(.bool), int2 = SQLType(.int2), int4 = SQLType(.int4), int8 = SQLType(.int8)
    static let numeric = SQLType(.numeric), float4 = SQLType(.float4), float8 = SQLType(.float8)
    static let text = SQLType(.text), varchar = SQLType(.varchar), bpchar = SQLType(.bpchar)
    static let uuid = SQLType(.uuid), date = SQLType(.date), time = SQLType(.time)
    static let timestamp = SQLType(.timestamp), timestamptz = SQLType(.timestamptz)
    static let interval = SQLType(.interval), unknown = SQLType(.unknown)

    var element: SQLType { SQLType(base) }
    var asArray: SQLType { SQLType(base, array: true) }

    /// Maps a `pg_type.typname` (element type) to a base type; nil for unsupported types.
    static func base(named name: String) -> Base? {
        switch name {
        case "bool": .bool
        case "int2": .int2
        case "int4": .int4
        case "int8": .int8
        case "numeric": .numeric
        case "float4": .float4
        case "float8": .float8
        case "text": .text
        case "varchar": .varchar
        case "bpchar": .bpchar
        case "uuid": .uuid
        case "date": .date
        case "time": .time
        case "timestamp": .timestamp
        case "timestamptz": .timestamptz
        case "interval": .interval
        default: nil
        }
    }

    /// The internal name used in rendered SQL casts (`int4`, `timestamptz`, `int4[]`).
    var sqlName: String {
        let element: String
        switch base {
        case .enumeration(let id): element = "\"" + id.name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        default: element = internalName
        }
        return isArray ? element + "[]" : element
    }

    /// `pg_type.typname` of the element.
    var internalName: String {
        switch base {
        case .bool: "bool"
        case .int2: "int2"
        case .int4: "int4"
        case .int8: "int8"
        case .numeric: "numeric"
        case .float4: "float4"
        case .float8: "float8"
        case .text: "text"
        case .varchar: "varchar"
        case .bpchar: "bpchar"
        case .uuid: "uuid"
        case .date: "date"
        case .time: "time"
        case .timestamp: "timestamp"
        case .timestamptz: "timestamptz"
        case .interval: "interval"
        case .unknown: "unknown"
        case .enumeration(let id): id.name
        }
    }

    /// PostgreSQL's `format_type` display name, used in error messages (`integer`, `text[]`).
    var description: String {
        let element: String
        switch base {
        case .bool: element = "boolean"
        case .int2: element = "smallint"
        case .int4: element = "integer"
        case .int8: element = "bigint"
        case .float4: element = "real"
        case .float8: element = "double precision"
        case .varchar: element = "character varying"
        case .bpchar: element = "character"
        case .time: element = "time without time zone"
        case .timestamp: element = "timestamp without time zone"
        case .timestamptz: element = "timestamp with time zone"
        default: element = internalName
        }
        return isArray ? element + "[]" : element
    }

    /// PostgreSQL's `typcategory`.
    enum Category: Hashable {
        case boolean, numeric, string, datetime, timespan, user, array, unknown, enumeration
    }

    var category: Category {
        if isArray { return .array }
        switch base {
        case .bool: return .boolean
        case .int2, .int4, .int8, .numeric, .float4, .float8: return .numeric
        case .text, .varchar, .bpchar: return .string
        case .date, .time, .timestamp, .timestamptz: return .datetime
        case .interval: return .timespan
        case .uuid: return .user
        case .unknown: return .unknown
        case .enumeration: return .enumeration
        }
    }

    /// `typispreferred` in PostgreSQL.
    var isPreferred: Bool {
        guard !isArray else { return false }
        switch base {
        case .bool, .float8, .text, .timestamptz, .interval: return true
        default: return false
        }
    }

    var isNumeric: Bool { !isArray && category == .numeric }
    var isInteger: Bool { !isArray && (base == .int2 || base == .int4 || base == .int8) }
    var isString: Bool { !isArray && category == .string }
    var isUnknown: Bool { base == .unknown && !isArray }
    var isEnum: Bool {
        if case .enumeration = base { return true }
        return false
    }
}
