extension SQLType {
    /// Element types each type converts to implicitly (PostgreSQL's `pg_cast` entries with
    /// `castcontext = 'i'`, restricted to the supported types).
    private static func implicitTargets(_ base: Base) -> [Base] {
        switch base {
        case .int2: [.int4, .int8, .numeric, .float4, .float8]
        case .int4: [.int8, .numeric, .float4, .float8]
        case .int8: [.numeric, .float4, .float8]
        case .numeric: [.float4, .float8]
        case .float4: [.float8]
        case .date: [.timestamp, .timestamptz]
        case .timestamp: [.timestamptz]
        case .time: [.interval]
        case .text: [.varchar, .bpchar]
        case .varchar: [.text, .bpchar]
        case .bpchar: [.text, .varchar]
        default: []
        }
    }

    /// True when a value of `self` may be used where `target` is expected without an explicit
    /// cast. `unknown` coerces to anything; arrays coerce element-wise.
    func coercesImplicitly(to target: SQLType) -> Bool {
        if self == target { return true }
        if isUnknown { return true }
        guard isArray == target.isArray else { return false }
        return SQLType.implicitTargets(base).contains(target.base)
    }

    /// True when `CAST(self AS target)` is allowed.
    ///
    /// Beyond the implicit casts: anything to text/varchar/bpchar (output function), string
    /// types to anything but enums (input function), numeric types among each other, `bool ↔
    /// int4`, `timestamp(tz) → date/time`, `timestamptz → timestamp`, `interval → time`; arrays
    /// element-wise.
    func castsExplicitly(to target: SQLType) -> Bool {
        if coercesImplicitly(to: target) { return true }
        if target.isString { return true }
        if isArray != target.isArray {
            return isString && target.isArray && !target.isEnum
        }
        let source = element
        let goal = target.element
        if source.isString { return !goal.isEnum }
        if goal.isString { return true }
        if source.isNumeric && goal.isNumeric { return true }
        switch (source.base, goal.base) {
        case (.bool, .int4), (.int4, .bool): return true
        case (.timestamp, .date), (.timestamptz, .date), (.timestamp, .time), (.timestamptz, .time): return true
        case (.timestamptz, .timestamp), (.interval, .time): return true
        default: return false
        }
    }
}
