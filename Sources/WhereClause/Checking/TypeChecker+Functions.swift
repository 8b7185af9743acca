extension TypeChecker {
    /// Resolves a function call: `coalesce`/`greatest`/`least` (conditional expressions in
    /// PostgreSQL), the ``FunctionCatalog`` functions, and type names used as functions
    /// (`int4('12')`), which PostgreSQL treats as casts.
    /// `args` are already checked (by the caller, so that this method is not on the
    /// recursive path).
    func function(_ name: String, _ args: [BoundExpression], at: Int) throws(WhereClauseError) -> BoundExpression {
        let callText = "\(name)(\(args.map { $0.type.description }.joined(separator: ", ")))"
        let missing = WhereClauseError.compile(at, "function \(callText) does not exist")
        if FunctionCatalog.aggregates.contains(name) { throw .compile(at, "aggregation is not supported in this context") }
        switch name {
        case "coalesce", "greatest", "least":
            guard !args.isEmpty else { throw .compile(at, "syntax error at or near \")\"") }
            let (type, typed) = try unify(args, context: name.uppercased())
            if name != "coalesce" {
                _ = try signature("<", display: "<", type, type, at: at)
            }
            let kind: BoundExpression.Kind =
                name == "coalesce" ? .coalesce(typed) : (name == "greatest" ? .greatest(typed) : .least(typed))
            return BoundExpression(kind, type, at: at)
        default:
            break
        }
        if let symbol = FunctionCatalog.operatorAliases[name] {
            guard args.count == 2 else { throw missing }
            return try resolveBinary(symbol, display: name, args[0], args[1], at: at)
        }
        if let function = FunctionCatalog.byName[name] {
            guard let resolved = try function.resolve(self, args) else { throw missing }
            return BoundExpression(.call(function, resolved.arguments), resolved.result, at: at)
        }
        if let canonical = TypeName.aliases[name], let base = SQLType.base(named: canonical), !name.contains(" ") {
            guard args.count == 1 else { throw missing }
            return try explicitCast(args[0], to: SQLType(base), at: at)
        }
        throw .compile(at, "unknown or unsupported function \(name)/\(args.count)")
    }

    /// `ARRAY[...]`: the common type of the elements (text when all are unknown). When the
    /// elements are arrays (nested constructors or any array-typed expressions) the result is
    /// one dimension deeper, as in PostgreSQL's `transformArrayExpr`.
    mutating func arrayConstructor(_ elements: [SyntaxNode], at: Int) throws(WhereClauseError) -> BoundExpression {
        guard !elements.isEmpty else { throw .compile(at, "cannot determine type of empty array") }
        var bound: [BoundExpression] = []
        for element in elements { bound.append(try check(element)) }
        let (type, typed) = try unify(bound, context: "ARRAY")
        if type.isArray { return BoundExpression(.array(typed), type, at: at) }
        return BoundExpression(.array(typed), type.asArray, at: at)
    }
}
