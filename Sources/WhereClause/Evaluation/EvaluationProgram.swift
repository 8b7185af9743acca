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
