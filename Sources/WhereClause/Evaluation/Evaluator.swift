/// Evaluates a ``BoundExpression`` over one row's parsed column values with SQL
/// three-valued logic. `.null` is SQL NULL (unknown for booleans).
///
/// Evaluation errors (overflow, division by zero, invalid input in a cast) are thrown as
/// ``WhereClauseError`` with kind `.evaluation`; the public API maps them to "not in shape".
///
/// ``evaluate(_:)`` is a thin dispatcher and each kind has its own method, so one level of
/// recursion costs two small frames even in a debug build (where every temporary of a
/// function keeps its own stack slot): the deepest clause ``WhereClauseLimits/maxDepth``
/// admits evaluates within a 512 KiB thread stack.
struct Evaluator {
    /// The row's column values and the work left (``WhereClauseLimits/maxRowWork``).
    let frame: EvaluationFrame
    /// Bounds on the results this evaluation may build (``WhereClauseLimits/maxResultBytes``).
    let limits: WhereClauseLimits

    /// Takes an operation's ``WorkCost`` from the frame's budget.
    @inline(__always)
    private func charge(_ units: Int) throws(WhereClauseError) {
        try frame.charge(units, limit: limits.maxRowWork)
    }

    func evaluate(_ e: BoundExpression) throws(WhereClauseError) -> Value {
        switch e.kind {
        case .constant(let value, _): return value
        case .column(let slot, _): return frame.slots[slot]
        case .cast: return try cast(e)
        case .operation: return try operation(e)
        case .and, .or: return try logical(e)
        case .not, .isNull, .booleanTest: return try test(e)
        case .distinct: return try distinct(e)
        case .inList: return try inList(e)
        case .quantified: return try quantified(e)
        case .coalesce, .greatest, .least: return try conditional(e)
        case .call, .array: return try construction(e)
        }
    }

    private func cast(_ e: BoundExpression) throws(WhereClauseError) -> Value {
        guard case .cast(let inner) = e.kind else { throw .internalError }
        let value = try evaluate(inner)
        if value.isNull { return .null }
        try charge(WorkCost.cast(value, to: e.type))
        return try Casts.convert(value, from: inner.type, to: e.type)
    }

    private func operation(_ e: BoundExpression) throws(WhereClauseError) -> Value {
        guard case .operation(let operation, let arguments) = e.kind else { throw .internalError }
        if arguments.count == 1 {
            let a = try evaluate(arguments[0])
            if a.isNull { return .null }
            return try Operations.unary(operation, a, result: e.type)
        }
        // PostgreSQL evaluates every argument of a strict function before checking for
        // NULLs, so an error in the second argument surfaces even when the first is NULL.
        let a = try evaluate(arguments[0])
        let b = try evaluate(arguments[1])
        if a.isNull || b.isNull { return .null }
        try charge(WorkCost.binary(operation, a, b, maxDigits: limits.maxNumericDigits))
        return try Operations.binary(
            operation, a, b, leftType: arguments[0].type, rightType: arguments[1].type, result: e.type, limits: limits)
    }

    /// AND stops at the first false, OR at the first true; NULL otherwise wins over the other.
    private func logical(_ e: BoundExpression) throws(WhereClauseError) -> Value {
        let (operands, decisive): ([BoundExpression], Bool)
        switch e.kind {
        case .and(let items): (operands, decisive) = (items, false)
        case .or(let items): (operands, decisive) = (items, true)
        default: throw .internalError
        }
        var sawNull = false
        for operand in operands {
            switch try evaluate(operand) {
            case .bool(let b) where b == decisive: return .bool(decisive)
            case .null: sawNull = true
            default: break
            }
        }
        return sawNull ? .null : .bool(!decisive)
    }

    private func test(_ e: BoundExpression) throws(WhereClauseError) -> Value {
        switch e.kind {
        case .not(let operand):
            if case .bool(let b) = try evaluate(operand) { return .bool(!b) }
            return .null
        case .isNull(let operand, let negated):
            return .bool(try evaluate(operand).isNull != negated)
        case .booleanTest(let operand, let test, let negated):
            let value = try evaluate(operand)
            let holds: Bool
            switch (test, value) {
            case (.isTrue, .bool(let b)): holds = b
            case (.isFalse, .bool(let b)): holds = !b
            case (.isUnknown, let v): holds = v.isNull
            default: holds = false
            }
            return .bool(holds != negated)
        default:
            throw .internalError
        }
    }

    private func distinct(_ e: BoundExpression) throws(WhereClauseError) -> Value {
        guard case .distinct(let left, let right, let negated) = e.kind else { throw .internalError }
        let a = try evaluate(left)
        let b = try evaluate(right)
        let isDistinct: Bool
        switch (a.isNull, b.isNull) {
        case (true, true): isDistinct = false
        case (true, false), (false, true): isDistinct = true
        case (false, false):
            try charge(WorkCost.comparison(a, b))
            isDistinct = ValueOrder.compare(a, b, bpchar: left.type.base == .bpchar) != 0
        }
        return .bool(isDistinct != negated)
    }

    /// Evaluated like PostgreSQL's `x = ANY(ARRAY[items])`: every item first.
    private func inList(_ e: BoundExpression) throws(WhereClauseError) -> Value {
        guard case .inList(let left, let items, let negated) = e.kind else { throw .internalError }
        let a = try evaluate(left)
        var values: [Value] = []
        values.reserveCapacity(items.count)
        for item in items { values.append(try evaluate(item)) }
        if a.isNull { return .null }
        var sawNull = false
        let bpchar = left.type.base == .bpchar
        for b in values {
            if b.isNull {
                sawNull = true
                continue
            }
            try charge(WorkCost.comparison(a, b))
            if ValueOrder.compare(a, b, bpchar: bpchar) == 0 {
                return .bool(!negated)
            }
        }
        return sawNull ? .null : .bool(negated)
    }

    /// `x op ANY/ALL (array)` with PostgreSQL's NULL rules: an empty array gives false (ANY) or
    /// true (ALL) even for a NULL `x`.
    private func quantified(_ e: BoundExpression) throws(WhereClauseError) -> Value {
        guard case .quantified(let operation, let left, let right, let all) = e.kind else { throw .internalError }
        let a = try evaluate(left)
        guard case .array(let array) = try evaluate(right) else { return .null }
        if array.elements.isEmpty { return .bool(all) }
        if a.isNull { return .null }
        var sawNull = false
        let elementType = right.type.element
        for element in array.elements {
            if element.isNull {
                sawNull = true
                continue
            }
            try charge(WorkCost.binary(operation, a, element, maxDigits: limits.maxNumericDigits))
            let result = try Operations.binary(
                operation, a, element, leftType: left.type, rightType: elementType, result: .bool, limits: limits)
            guard case .bool(let holds) = result else {
                sawNull = true
                continue
            }
            if holds != all { return .bool(holds) }
        }
        return sawNull ? .null : .bool(all)
    }

    /// `coalesce` evaluates until the first non-NULL; `greatest`/`least` evaluate everything
    /// and ignore NULLs.
    private func conditional(_ e: BoundExpression) throws(WhereClauseError) -> Value {
        let greatest: Bool
        let operands: [BoundExpression]
        switch e.kind {
        case .coalesce(let items):
            for operand in items {
                let value = try evaluate(operand)
                if !value.isNull { return value }
            }
            return .null
        case .greatest(let items): (greatest, operands) = (true, items)
        case .least(let items): (greatest, operands) = (false, items)
        default: throw .internalError
        }
        var best: Value = .null
        for operand in operands {
            let value = try evaluate(operand)
            if value.isNull { continue }
            if best.isNull {
                best = value
                continue
            }
            try charge(WorkCost.comparison(value, best))
            let order = ValueOrder.compare(value, best, bpchar: e.type.base == .bpchar)
            if greatest ? order > 0 : order < 0 { best = value }
        }
        return best
    }

    /// Function calls and `ARRAY[...]`: every argument first, then the size-guarded result.
    private func construction(_ e: BoundExpression) throws(WhereClauseError) -> Value {
        let arguments: [BoundExpression]
        switch e.kind {
        case .call(_, let items), .array(let items): arguments = items
        default: throw .internalError
        }
        var values: [Value] = []
        values.reserveCapacity(arguments.count)
        for argument in arguments { values.append(try evaluate(argument)) }
        try charge(WorkCost.call(values))
        if case .call(let function, _) = e.kind {
            return try function.apply(values, SQLFunction.Call(arguments, e.type), limits: limits)
        }
        return try ArrayOperations.construct(values, nested: arguments.first?.type.isArray ?? false, limits: limits)
    }
}
