/// The immutable evaluation state of a compiled clause, shared by reference so that the hot
/// path retains one object instead of copying ``WhereClause``'s fields.
final class EvaluationProgram: Sendable {
    let root: BoundExpression
    /// The root compiled to (`@Sendable`, immutable) closures: the hot path.
    private let compiled: CompiledNode
    let columnNames: [String]
    let slotTypes: [SQLType]
    /// Work units one row's evaluation may take (``WhereClauseLimits/maxRowWork``).
    private let maxRowWork: Int

    init(root: BoundExpression, columns: [WhereColumn], limits: WhereClauseLimits) {
        self.root = root
        self.columnNames = columns.map(\.name)
        self.slotTypes = columns.map(TypeChecker.columnType)
        self.compiled = NodeCompiler(limits: limits).compile(root)
        self.maxRowWork = limits.maxRowWork
    }

    func run(values: [String?]) throws(WhereClauseError) -> Bool? {
        guard values.count == slotTypes.count else {
            throw .evaluation("expected \(slotTypes.count) values, got \(values.count)")
        }
        return Self.truth(try run { index throws(WhereClauseError) in try self.parse(values[index], index) })
    }

    func run(row: some WhereRow) throws(WhereClauseError) -> Bool? {
        Self.truth(try value(row: row))
    }

    /// The root's value for a row, of any type (used by tests for non-boolean expressions).
    func value(row: some WhereRow) throws(WhereClauseError) -> Value {
        try run { index throws(WhereClauseError) in try self.parse(row.text(ofColumn: self.columnNames[index]), index) }
    }

    /// Evaluates the row whose values cost the least to compute with (numbers `1`, empty texts
    /// and arrays, NULL for the other types): when even that row needs more than
    /// ``WhereClauseLimits/maxRowWork``, the cost comes from the clause's own constants and
    /// parameters, and every row whose columns are set would exceed it too, so the clause fails
    /// to compile (400) instead of its shape being refused at its first row, after PostgreSQL
    /// has evaluated it over the whole table for the snapshot. Bounded by the budget itself.
    /// - Throws: ``WhereClauseError`` of kind `.compile` for the work limit; other outcomes are
    ///   ignored (the row is not real).
    func checkCheapestRow() throws(WhereClauseError) {
        let values = slotTypes.map(Self.cheapestText)
        do {
            _ = try run(values: values)
        } catch where error.kind == .workLimit {
            throw .compile(nil, error.reason)
        } catch {}
    }

    /// The text of a cheap value of `type` (nil: NULL).
    private static func cheapestText(_ type: SQLType) -> String? {
        if type.isArray { return "{}" }
        switch type.base {
        case .int2, .int4, .int8, .numeric, .float4, .float8: return "1"
        case .text, .varchar, .bpchar: return ""
        case .bool: return "t"
        default: return nil
        }
    }

    @inline(__always)
    private static func truth(_ value: Value) -> Bool? {
        if case .bool(let b) = value { return b }
        return nil
    }

    private func parse(_ text: String?, _ index: Int) throws(WhereClauseError) -> Value {
        guard let text else { return .null }
        guard let value = ValueText.parse(text, as: slotTypes[index]) else {
            throw .evaluation("invalid text for column of type \(slotTypes[index])")
        }
        return value
    }

    /// Parses every referenced column into a stack-allocated slot buffer, then evaluates.
    @inline(__always)
    private func run(_ value: (Int) throws(WhereClauseError) -> Value) throws(WhereClauseError) -> Value {
        let count = slotTypes.count
        var work = maxRowWork
        return try withUnsafeMutablePointer(to: &work) { work throws(WhereClauseError) -> Value in
            try withUnsafeTemporaryAllocation(of: Value.self, capacity: max(count, 1)) {
                buffer throws(WhereClauseError) -> Value in
                let slots = UnsafeMutableBufferPointer(rebasing: buffer[0..<count])
                slots.initialize(repeating: .null)
                defer { slots.deinitialize() }
                for index in 0..<count { slots[index] = try value(index) }
                return try compiled(EvaluationFrame(slots: slots, work: work))
            }
        }
    }
}
