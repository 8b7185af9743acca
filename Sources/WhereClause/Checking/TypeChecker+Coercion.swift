extension TypeChecker {
    /// Converts `bound` to `target` for an implicit coercion: unknown constants are parsed as
    /// `target`, other values get a cast node.
    func coerce(_ bound: BoundExpression, to target: SQLType, context: String? = nil) throws(WhereClauseError)
        -> BoundExpression
    {
        if bound.type == target { return bound }
        if bound.type.isUnknown { return try typeUnknown(bound, as: target) }
        guard bound.type.coercesImplicitly(to: target) else {
            let what = context ?? "expression"
            throw .compile(bound.location, "\(what) must be type \(target), not type \(bound.type)")
        }
        return BoundExpression(.cast(bound), target, at: bound.location)
    }

    /// Gives an unknown-typed constant (string literal, parameter, NULL) the type `target` by
    /// running the type's input function now.
    func typeUnknown(_ bound: BoundExpression, as target: SQLType) throws(WhereClauseError) -> BoundExpression {
        guard case .constant(let value, let origin) = bound.kind else {
            throw .compile(bound.location, "could not determine data type of expression")
        }
        if target.isEnum || (target.isArray && target.element.isEnum) {
            throw .compile(bound.location, "enum literals are not supported here; cast the enum column to text instead")
        }
        guard case .text(let text) = value else {
            return BoundExpression(.constant(.null, origin), target, at: bound.location)
        }
        guard let parsed = ValueText.parse(text, as: target) else {
            throw .compile(bound.location, "invalid syntax for type \(target.sqlName): \(text)")
        }
        if parsed.arrayCount > limits.maxArrayElements {
            throw .arrayTooLong("array literal", parsed.arrayCount, at: bound.location, limit: limits.maxArrayElements)
        }
        return BoundExpression(.constant(parsed, origin), target, at: bound.location)
    }

    /// `CAST(bound AS target)` / `bound::target`.
    func explicitCast(_ bound: BoundExpression, to target: SQLType, at: Int) throws(WhereClauseError) -> BoundExpression {
        if bound.type == target { return bound }
        if bound.type.isUnknown { return try typeUnknown(bound, as: target) }
        if target.isEnum || (target.isArray && target.element.isEnum) || !bound.type.castsExplicitly(to: target) {
            throw .compile(at, "cannot cast type \(bound.type) to \(target)")
        }
        return BoundExpression(.cast(bound), target, at: at)
    }

    /// PostgreSQL's `select_common_type`: the first known type, replaced by a later one of the
    /// same category when that one is preferred or only convertible one way; all-unknown
    /// inputs resolve to text.
    func commonType(_ inputs: [BoundExpression], context: String) throws(WhereClauseError) -> SQLType {
        let known = inputs.filter { !$0.type.isUnknown }
        guard var chosen = known.first?.type else { return .text }
        for input in known.dropFirst() {
            let next = input.type
            if next == chosen { continue }
            if next.category != chosen.category {
                throw .compile(input.location, "\(context) types \(chosen) and \(next) cannot be matched")
            }
            if !chosen.isPreferred && chosen.coercesImplicitly(to: next) && !next.coercesImplicitly(to: chosen) {
                chosen = next
            }
        }
        for input in known where !input.type.coercesImplicitly(to: chosen) {
            throw .compile(input.location, "\(context) could not convert type \(input.type) to \(chosen)")
        }
        return chosen
    }

    /// Coerces every input to their common type.
    func unify(_ inputs: [BoundExpression], context: String) throws(WhereClauseError) -> (SQLType, [BoundExpression]) {
        let type = try commonType(inputs, context: context)
        var result: [BoundExpression] = []
        for input in inputs { result.append(try coerce(input, to: type)) }
        return (type, result)
    }
}
