extension TypeChecker {
    static let aggregates: Set<String> = ["count", "sum", "avg", "min", "max", "array_agg", "string_agg", "bool_and", "bool_or", "every"]

    /// Resolves a function call: the supported built-ins, and type names used as functions
    /// (`int4('12')`), which PostgreSQL treats as casts.
    mutating func function(_ name: String, _ arguments: [SyntaxNode], at: Int) throws(WhereClauseError) -> BoundExpression {
        var args: [BoundExpression] = []
        for argument in arguments { args.append(try check(argument)) }
        let callText = "\(name)(\(args.map { $0.type.description }.joined(separator: ", ")))"
        let missing = WhereClauseError.compile(at, "function \(callText) does not exist")
        if TypeChecker.aggregates.contains(name) { throw .compile(at, "aggregation is not supported in this context") }
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
        case "lower", "upper":
            guard args.count == 1, args[0].type.coercesImplicitly(to: .text) else { throw missing }
            let operation: BoundExpression.Operation = name == "lower" ? .lower : .upper
            return BoundExpression(.operation(operation, [try coerce(args[0], to: .text)]), .text, at: at)
        case "like", "ilike":
            guard args.count == 2 else { throw missing }
            return try resolveBinary(name == "like" ? "~~" : "~~*", display: name, args[0], args[1], at: at)
        case "concat":
            var typed: [BoundExpression] = []
            for arg in args { typed.append(arg.type.isUnknown ? try coerce(arg, to: .text) : arg) }
            return BoundExpression(.concat(typed), .text, at: at)
        case "array_cat":
            guard args.count == 2, args.allSatisfy({ $0.type.isArray || $0.type.isUnknown }) else { throw missing }
            let (type, typed) = try unify(args, context: "array_cat")
            guard type.isArray else { throw missing }
            return BoundExpression(.arrayCat(typed[0], typed[1]), type, at: at)
        case "array_append", "array_prepend":
            guard args.count == 2 else { throw missing }
            let append = name == "array_append"
            var array = append ? args[0] : args[1]
            let scalar = append ? args[1] : args[0]
            // An untyped literal array takes the element's type (`array_append('{5}', 1)`), or
            // text when the element is untyped too, as PostgreSQL resolves anycompatible.
            if array.type.isUnknown && !scalar.type.isArray {
                array = try coerce(array, to: scalar.type.isUnknown ? SQLType.text.asArray : scalar.type.asArray)
            }
            guard array.type.isArray, !scalar.type.isArray else { throw missing }
            let proxy = BoundExpression(.constant(.null, .literal), array.type.element, at: array.location)
            let element = try commonType([proxy, scalar], context: name)
            let typedArray = try coerce(array, to: element.asArray), typedScalar = try coerce(scalar, to: element)
            let kind: BoundExpression.Kind = append ? .arrayAppend(typedArray, typedScalar) : .arrayPrepend(typedScalar, typedArray)
            return BoundExpression(kind, element.asArray, at: at)
        case "array_ndims":
            guard args.count == 1, args[0].type.isArray else { throw missing }
            return BoundExpression(.operation(.arrayDimensions, args), .int4, at: at)
        case "justify_days", "justify_hours", "justify_interval":
            guard args.count == 1, args[0].type.coercesImplicitly(to: .interval) else { throw missing }
            let operation: BoundExpression.Operation =
                name == "justify_days" ? .justifyDays : (name == "justify_hours" ? .justifyHours : .justifyInterval)
            return BoundExpression(.operation(operation, [try coerce(args[0], to: .interval)]), .interval, at: at)
        default:
            if let canonical = TypeName.aliases[name], let base = SQLType.base(named: canonical), !name.contains(" ") {
                guard args.count == 1 else { throw missing }
                return try explicitCast(args[0], to: SQLType(base), at: at)
            }
            throw .compile(at, "unknown or unsupported function \(name)/\(args.count)")
        }
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
