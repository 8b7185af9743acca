/// A where-clause node compiled into a closure for the hot path.
///
/// Closures avoid re-reading the indirect-enum tree on every row (each payload extraction
/// retains and releases). The common shapes — column references, constants, comparisons,
/// AND/OR/NOT, IS NULL, IN lists and casts — get specialized closures; everything else calls
/// the tree-walking ``Evaluator`` for its subtree, so both paths share one semantics.
typealias CompiledNode = @Sendable (EvaluationFrame) throws(WhereClauseError) -> Value

struct NodeCompiler {
    /// Bounds on the results a row's evaluation may build.
    let limits: WhereClauseLimits

    func compile(_ e: BoundExpression) -> CompiledNode {
        switch e.kind {
        case .constant(let value, _):
            return { _ in value }
        case .column(let slot, _):
            return { frame in frame.slots[slot] }
        case .operation(.compare(let comparison), let args) where args.count == 2:
            return compare(comparison, args[0], args[1])
        case .operation(let operation, let args) where args.count == 2:
            let left = compile(args[0])
            let right = compile(args[1])
            let leftType = args[0].type
            let rightType = args[1].type
            let result = e.type
            let limit = limits.maxRowWork
            return { frame throws(WhereClauseError) in
                let a = try left(frame)
                let b = try right(frame)
                if a.isNull || b.isNull { return .null }
                try frame.charge(WorkCost.binary(operation, a, b, maxDigits: limits.maxNumericDigits), limit: limit)
                return try Operations.binary(
                    operation, a, b, leftType: leftType, rightType: rightType, result: result, limits: limits)
            }
        case .cast(let inner):
            let operand = compile(inner)
            let source = inner.type
            let target = e.type
            let limit = limits.maxRowWork
            return { frame throws(WhereClauseError) in
                let value = try operand(frame)
                if value.isNull { return .null }
                try frame.charge(WorkCost.cast(value, to: target), limit: limit)
                return try Casts.convert(value, from: source, to: target)
            }
        case .and(let operands):
            let parts = operands.map(compile)
            return { frame throws(WhereClauseError) in
                var sawNull = false
                for part in parts {
                    switch try part(frame) {
                    case .bool(false): return .bool(false)
                    case .null: sawNull = true
                    default: break
                    }
                }
                return sawNull ? .null : .bool(true)
            }
        case .or(let operands):
            let parts = operands.map(compile)
            return { frame throws(WhereClauseError) in
                var sawNull = false
                for part in parts {
                    switch try part(frame) {
                    case .bool(true): return .bool(true)
                    case .null: sawNull = true
                    default: break
                    }
                }
                return sawNull ? .null : .bool(false)
            }
        case .not(let inner):
            let operand = compile(inner)
            return { frame throws(WhereClauseError) in
                if case .bool(let b) = try operand(frame) { return .bool(!b) }
                return .null
            }
        case .isNull(let inner, let negated):
            let operand = compile(inner)
            return { frame throws(WhereClauseError) in .bool(try operand(frame).isNull != negated) }
        case .inList(let left, let items, let negated) where items.count >= 8 && left.type.isInteger:
            // Long integer lists (`id IN (…hundreds of ids…)`) use a hash set.
            let operand = compile(left)
            var set = Set<Int64>()
            var hasNull = false
            var allConstant = true
            for item in items {
                switch item.constantValue {
                case .int(let i)?: set.insert(i)
                case .null?: hasNull = true
                default: allConstant = false
                }
            }
            guard allConstant else { return { frame throws(WhereClauseError) in try Evaluator(frame: frame, limits: limits).evaluate(e) } }
            let members = set
            let containsNull = hasNull
            return { frame throws(WhereClauseError) in
                guard case .int(let a) = try operand(frame) else { return .null }
                if members.contains(a) { return .bool(!negated) }
                return containsNull ? .null : .bool(negated)
            }
        case .inList(let left, let items, let negated) where items.allSatisfy(\.isConstant):
            let operand = compile(left)
            let bpchar = left.type.base == .bpchar
            let values = items.compactMap(\.constantValue).filter { !$0.isNull }
            let hasNull = values.count != items.count
            if values.contains(where: WorkCost.mayBeCostly) {
                let limit = limits.maxRowWork
                return { frame throws(WhereClauseError) in
                    let a = try operand(frame)
                    if a.isNull { return .null }
                    for b in values {
                        try frame.charge(WorkCost.comparison(a, b), limit: limit)
                        if ValueOrder.compare(a, b, bpchar: bpchar) == 0 { return .bool(!negated) }
                    }
                    return hasNull ? .null : .bool(negated)
                }
            }
            return { frame throws(WhereClauseError) in
                let a = try operand(frame)
                if a.isNull { return .null }
                for b in values where ValueOrder.compare(a, b, bpchar: bpchar) == 0 { return .bool(!negated) }
                return hasNull ? .null : .bool(negated)
            }
        default:
            return { frame throws(WhereClauseError) in try Evaluator(frame: frame, limits: limits).evaluate(e) }
        }
    }

    /// Comparisons, with the column-versus-constant shape specialized.
    private func compare(_ comparison: BoundExpression.Comparison, _ left: BoundExpression, _ right: BoundExpression)
        -> CompiledNode
    {
        let bpchar = left.type.base == .bpchar
        let limit = limits.maxRowWork
        if case .column(let slot, _) = left.kind, case .constant(let constant, _) = right.kind {
            if constant.isNull { return { _ in .null } }
            // The hot path: a column against a constant. Only a large numeric constant makes the
            // comparison cost more than a unit (``WorkCost``), so only then is it charged.
            if WorkCost.mayBeCostly(constant) {
                return { frame throws(WhereClauseError) in
                    let a = frame.slots[slot]
                    if a.isNull { return .null }
                    try frame.charge(WorkCost.comparison(a, constant), limit: limit)
                    return .bool(comparison.holds(ValueOrder.compare(a, constant, bpchar: bpchar)))
                }
            }
            return { frame in
                let a = frame.slots[slot]
                if a.isNull { return .null }
                return .bool(comparison.holds(ValueOrder.compare(a, constant, bpchar: bpchar)))
            }
        }
        let l = compile(left)
        let r = compile(right)
        return { frame throws(WhereClauseError) in
            let a = try l(frame)
            let b = try r(frame)
            if a.isNull || b.isNull { return .null }
            try frame.charge(WorkCost.comparison(a, b), limit: limit)
            return .bool(comparison.holds(ValueOrder.compare(a, b, bpchar: bpchar)))
        }
    }
}
