import Testing

@testable import WhereClause

/// Columns of every supported type, shared by the where-clause tests.
let testColumns: [WhereColumn] = [
    WhereColumn(name: "id", typeName: "int4"),
    WhereColumn(name: "i2", typeName: "int2"),
    WhereColumn(name: "i8", typeName: "int8"),
    WhereColumn(name: "n", typeName: "numeric"),
    WhereColumn(name: "f4", typeName: "float4"),
    WhereColumn(name: "f8", typeName: "float8"),
    WhereColumn(name: "t", typeName: "text"),
    WhereColumn(name: "v", typeName: "varchar"),
    WhereColumn(name: "c", typeName: "bpchar"),
    WhereColumn(name: "u", typeName: "uuid"),
    WhereColumn(name: "b", typeName: "bool"),
    WhereColumn(name: "d", typeName: "date"),
    WhereColumn(name: "tm", typeName: "time"),
    WhereColumn(name: "ts", typeName: "timestamp"),
    WhereColumn(name: "tz", typeName: "timestamptz"),
    WhereColumn(name: "iv", typeName: "interval"),
    WhereColumn(name: "ia", typeName: "int4", isArray: true),
    WhereColumn(name: "ta", typeName: "text", isArray: true),
    WhereColumn(name: "mood", typeName: "mood", isEnum: true),
    WhereColumn(name: "Mixed Case", typeName: "text"),
    WhereColumn(name: "js", typeName: "jsonb"),
]

/// Compiles and evaluates `clause` over `row` (column → text), returning SQL true/false/NULL.
func evaluate(_ clause: String, _ row: [String: String] = [:], params: [Int: String] = [:]) throws -> Bool? {
    try WhereClause.compile(clause, columns: testColumns, params: params).evaluateTristate(row: row)
}

/// The compile error message for `clause`, or nil when it compiles.
func compileError(_ clause: String, params: [Int: String] = [:], limits: WhereClauseLimits = .default) -> String? {
    do {
        _ = try WhereClause.compile(clause, columns: testColumns, params: params, limits: limits)
        return nil
    } catch {
        return error.message
    }
}

/// The text of a constant expression, e.g. `"3"` for `1 + 2`; nil when it is NULL. Compiles
/// `(expression)::text = t` and evaluates the left operand without a row (constant parts are
/// already folded; STABLE conversions such as `date::text` are evaluated here).
func constantText(_ expression: String) throws -> String? {
    let clause = try WhereClause.compile("(\(expression))::text = t", columns: testColumns)
    guard case .operation(_, let args) = clause.root.kind else {
        Issue.record("unexpected tree for \(expression)")
        return nil
    }
    let value = try withUnsafeTemporaryAllocation(of: Value.self, capacity: 1) { slots in
        var work = WhereClauseLimits.default.maxRowWork
        return try withUnsafeMutablePointer(to: &work) { work in
            try Evaluator(frame: EvaluationFrame(slots: slots, work: work), limits: .default).evaluate(args[0])
        }
    }
    if case .text(let s) = value { return s }
    return nil
}
