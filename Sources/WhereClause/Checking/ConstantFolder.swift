/// Folds constant sub-expressions at compile time, as Electric does at parse time and
/// PostgreSQL's planner does: `1 + 1` becomes `2`, `'abc'::int4` fails to compile.
struct ConstantFolder {
    /// Bounds on the constants folding may compute; exceeding one is a compile error.
    let limits: WhereClauseLimits
    /// Work left for folding the whole clause (``WhereClauseLimits/maxRowWork``, shared by
    /// every folded node: a clause of many costly constant expressions fails to compile).
    private let work: WorkBudget

    init(limits: WhereClauseLimits) {
        self.limits = limits
        self.work = WorkBudget(limits.maxRowWork)
    }

    /// Heap storage for the budget, which outlives any one node's evaluation.
    private final class WorkBudget {
        let units: UnsafeMutablePointer<Int>
        init(_ units: Int) {
            self.units = .allocate(capacity: 1)
            self.units.initialize(to: units)
        }
        deinit { units.deallocate() }
    }

    /// Folds bottom-up. Kept to a thin recursion (the work is in ``reduce(_:)``) so that the
    /// deepest clause ``WhereClauseLimits/maxDepth`` admits folds within a 512 KiB stack.
    func fold(_ e: BoundExpression) throws(WhereClauseError) -> BoundExpression {
        switch e.kind {
        case .constant, .column:
            return e
        case .and(let args): return try reduce(e.replacingChildren(try foldLogical(args, stopAt: false)))
        case .or(let args): return try reduce(e.replacingChildren(try foldLogical(args, stopAt: true)))
        case .coalesce(let args): return try reduce(e.replacingChildren(try foldCoalesce(args)))
        default:
            var folded: [BoundExpression] = []
            for child in e.children { folded.append(try fold(child)) }
            return try reduce(e.replacingChildren(folded))
        }
    }

    /// A node whose children are folded: simplified, or evaluated when every input is constant.
    private func reduce(_ node: BoundExpression) throws(WhereClauseError) -> BoundExpression {
        if let simplified = ConstantFolder.simplify(node) { return simplified }
        guard node.children.allSatisfy(ConstantFolder.isFoldableInput), !ConstantFolder.isStable(node) else { return node }
        do {
            let value = try withUnsafeTemporaryAllocation(of: Value.self, capacity: 1) { slots in
                try Evaluator(frame: EvaluationFrame(slots: slots, work: work.units), limits: limits).evaluate(node)
            }
            return BoundExpression(.constant(value, .folded), node.type, at: node.location)
        } catch let error as WhereClauseError {
            throw .compile(node.location, error.reason)
        } catch {
            throw .compile(node.location, "\(error)")
        }
    }

    /// PostgreSQL's `eval_const_expressions` shortcuts that change observable behaviour: a
    /// strict operator or cast with a constant NULL input is NULL without evaluating its other
    /// inputs (so `(i8 - 1) >= NULL` cannot overflow), and `AND false` / `OR true` decide the
    /// result without evaluating the rest; constant `true` in AND (`false` in OR) is dropped.
    private static func simplify(_ node: BoundExpression) -> BoundExpression? {
        func isConstant(_ e: BoundExpression, _ value: Bool?) -> Bool {
            switch (e.kind, value) {
            case (.constant(.null, _), nil): return true
            case (.constant(.bool(let b), _), let v?): return b == v
            default: return false
            }
        }
        let null = BoundExpression(.constant(.null, .folded), node.type, at: node.location)
        switch node.kind {
        case .operation(_, let args) where args.contains(where: { isConstant($0, nil) }): return null
        case .call(let function, let args) where function.isStrict && args.contains(where: { isConstant($0, nil) }):
            return null
        case .cast(let inner) where isConstant(inner, nil): return null
        case .and(let args), .or(let args):
            var isAnd = false
            if case .and = node.kind { isAnd = true }
            if args.contains(where: { isConstant($0, !isAnd) }) {
                return BoundExpression(.constant(.bool(!isAnd), .folded), .bool, at: node.location)
            }
            let remaining = args.filter { !isConstant($0, isAnd) }
            if remaining.count == args.count { return nil }
            if remaining.isEmpty { return BoundExpression(.constant(.bool(isAnd), .folded), .bool, at: node.location) }
            if remaining.count == 1 { return remaining[0] }
            return BoundExpression(isAnd ? .and(remaining) : .or(remaining), .bool, at: node.location)
        default: return nil
        }
    }

    /// A constant, or a constant date widened for comparison with a timestamp: the comparison
    /// itself is IMMUTABLE in PostgreSQL and folds, even though the saturated widened value is
    /// never materialized as a constant of its own.
    private static func isFoldableInput(_ e: BoundExpression) -> Bool {
        if e.isConstant { return true }
        if case .operation(.widenDate, let args) = e.kind { return e.type == .timestamp && args[0].isConstant }
        return false
    }

    /// AND/OR operands are folded in order and folding stops at the first constant that
    /// decides the result (`false` for AND, `true` for OR): PostgreSQL's
    /// `simplify_and_arguments`/`simplify_or_arguments` never look at the rest, so errors in
    /// them are never raised.
    private func foldLogical(_ args: [BoundExpression], stopAt decisive: Bool) throws(WhereClauseError)
        -> [BoundExpression]
    {
        var result: [BoundExpression] = []
        for arg in args {
            let folded = try fold(arg)
            result.append(folded)
            if case .constant(.bool(let b), _) = folded.kind, b == decisive { return [folded] }
        }
        return result
    }

    /// `coalesce`: constant NULL arguments are dropped and everything after the first
    /// non-NULL constant is never evaluated (so it cannot raise an error), as in PostgreSQL.
    private func foldCoalesce(_ args: [BoundExpression]) throws(WhereClauseError) -> [BoundExpression] {
        var result: [BoundExpression] = []
        for arg in args {
            let folded = try fold(arg)
            if case .constant(let value, _) = folded.kind {
                if value.isNull { continue }
                result.append(folded)
                break
            }
            result.append(folded)
        }
        if result.isEmpty, let first = args.first {
            return [BoundExpression(.constant(.null, .folded), first.type, at: first.location)]
        }
        return result
    }

    /// Operations PostgreSQL marks STABLE are not folded by its planner, so errors in them
    /// surface per row, after AND/OR short-circuiting; Conduit keeps them unfolded for the same
    /// behaviour. STABLE (from `pg_proc.provolatile`): anything converting to or from
    /// timestamptz or adding intervals to it (TimeZone), the text output of date, timestamp,
    /// interval, enum and array values and the text input of date, time, timestamp, interval
    /// and arrays (DateStyle, IntervalStyle), and `concat`.
    static func isStable(_ node: BoundExpression) -> Bool {
        switch node.kind {
        case .call(let function, _): return function.isStable
        // Never folded: the saturated value has no text form; the renderer emits the date.
        case .operation(.widenDate, _): return true
        case .cast(let inner): return castIsStable(from: inner.type, to: node.type)
        case .operation(.add, let args), .operation(.subtract, let args):
            return node.type.base == .timestamptz || args.contains { $0.type.base == .timestamptz && node.type.base != .interval }
        default: return false
        }
    }

    static func castIsStable(from source: SQLType, to target: SQLType) -> Bool {
        if source.base == .timestamptz || target.base == .timestamptz { return true }
        if target.isString && !source.isString {
            return source.isArray || source.isEnum || [.date, .timestamp, .interval].contains(source.base)
        }
        if source.isString && !target.isString {
            return target.isArray || [.date, .time, .timestamp, .interval].contains(target.base)
        }
        return false
    }
}
