/// The where-clause functions, like ``OperatorCatalog`` for operators: adding a function is one
/// ``SQLFunction`` entry in ``all`` (name, argument resolution, strictness and volatility,
/// result-size bound, implementation).
///
/// Not here: `coalesce`, `greatest` and `least`, which PostgreSQL parses as conditional
/// expressions (lazy or non-strict, with common-type resolution of their own); `like` and
/// `ilike` written as calls, which are the `~~` / `~~*` operators; and type names called like
/// functions (`int4('12')`), which are casts.
enum FunctionCatalog {
    /// Every function, by name.
    static let byName: [String: SQLFunction] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    /// Aggregates are recognized only to reject them with PostgreSQL's message.
    static let aggregates: Set<String> = [
        "count", "sum", "avg", "min", "max", "array_agg", "string_agg", "bool_and", "bool_or", "every",
    ]

    /// Function-call spellings of operators.
    static let operatorAliases: [String: String] = ["like": "~~", "ilike": "~~*"]

    static let all: [SQLFunction] = [
        .unary("lower", .text, .text) { value throws(WhereClauseError) in .text(TextCase.lower(try value.textValue())) },
        .unary("upper", .text, .text) { value throws(WhereClauseError) in .text(TextCase.upper(try value.textValue())) },
        .unary("justify_days", .interval, .interval) { value throws(WhereClauseError) in
            .interval(try value.intervalValue().justifiedDays())
        },
        .unary("justify_hours", .interval, .interval) { value throws(WhereClauseError) in
            .interval(try value.intervalValue().justifiedHours())
        },
        .unary("justify_interval", .interval, .interval) { value throws(WhereClauseError) in
            .interval(try value.intervalValue().justified())
        },
        arrayDimensions, concat, arrayCat, arrayAppend, arrayPrepend,
    ]

    /// `array_ndims(anyarray) → int4`; NULL for an empty array.
    static let arrayDimensions = SQLFunction(
        name: "array_ndims",
        resolve: { _, args in
            guard args.count == 1, args[0].type.isArray else { return nil }
            return .init(arguments: args, result: .int4)
        },
        isStrict: true, isStable: false, bound: .proportional,
        implementation: { values, _ in
            guard case .array(let x) = values[0], !x.dimensions.isEmpty else { return .null }
            return .int(Int64(x.dimensions.count))
        })

    /// `concat(any, ...)`: the output text of each non-NULL argument; STABLE because output
    /// functions of dates and intervals depend on session settings.
    static let concat = SQLFunction(
        name: "concat",
        resolve: { checker, args throws(WhereClauseError) in
            var typed: [BoundExpression] = []
            for arg in args { typed.append(arg.type.isUnknown ? try checker.coerce(arg, to: .text) : arg) }
            return .init(arguments: typed, result: .text)
        },
        isStrict: false, isStable: true,
        bound: .text { values in values.reduce(0) { $0 + $1.textBytesBound } },
        implementation: { values, call in
            var text = ""
            for (value, type) in zip(values, call.argumentTypes) where !value.isNull {
                text += ValueText.format(value, as: type)
            }
            return .text(text)
        })

    /// `array_cat(anycompatiblearray, anycompatiblearray)`, also `array || array`.
    static let arrayCat = SQLFunction(
        name: "array_cat",
        resolve: { checker, args throws(WhereClauseError) in
            guard args.count == 2, args.allSatisfy({ $0.type.isArray || $0.type.isUnknown }) else { return nil }
            let (type, typed) = try checker.unify(args, context: "array_cat")
            guard type.isArray else { return nil }
            return .init(arguments: typed, result: type)
        },
        isStrict: false, isStable: false,
        bound: .elements { values in values.reduce(0) { $0 + $1.arrayCount } },
        implementation: { values, _ throws(WhereClauseError) in try ArrayOperations.concatenate(values[0], values[1]) })

    /// `array_append(anycompatiblearray, anycompatible)`, also `array || element`.
    static let arrayAppend = SQLFunction(
        name: "array_append",
        resolve: { checker, args throws(WhereClauseError) in
            guard args.count == 2 else { return nil }
            return try checker.resolveArrayAndElement(array: args[0], element: args[1], context: "array_append")
        },
        isStrict: false, isStable: false,
        bound: .elements { values in values[0].arrayCount + 1 },
        implementation: { values, _ throws(WhereClauseError) in try ArrayOperations.append(values[0], values[1]) })

    /// `array_prepend(anycompatible, anycompatiblearray)`, also `element || array`.
    static let arrayPrepend = SQLFunction(
        name: "array_prepend",
        resolve: { checker, args throws(WhereClauseError) in
            guard args.count == 2 else { return nil }
            guard let resolved = try checker.resolveArrayAndElement(array: args[1], element: args[0], context: "array_prepend")
            else { return nil }
            return .init(arguments: resolved.arguments.reversed(), result: resolved.result)
        },
        isStrict: false, isStable: false,
        bound: .elements { values in values[1].arrayCount + 1 },
        implementation: { values, _ throws(WhereClauseError) in try ArrayOperations.prepend(values[0], values[1]) })
}

extension TypeChecker {
    /// `anycompatiblearray` with `anycompatible`: an untyped literal array takes the element's
    /// type (`array_append('{5}', 1)`), or text when the element is untyped too, as PostgreSQL
    /// resolves anycompatible. Returns `[array, element]` coerced to the common element type.
    func resolveArrayAndElement(array: BoundExpression, element: BoundExpression, context: String)
        throws(WhereClauseError) -> SQLFunction.Resolution?
    {
        var array = array
        if array.type.isUnknown && !element.type.isArray {
            array = try coerce(array, to: element.type.isUnknown ? SQLType.text.asArray : element.type.asArray)
        }
        guard array.type.isArray, !element.type.isArray else { return nil }
        let proxy = BoundExpression(.constant(.null, .literal), array.type.element, at: array.location)
        let common = try commonType([proxy, element], context: context)
        return .init(arguments: [try coerce(array, to: common.asArray), try coerce(element, to: common)], result: common.asArray)
    }
}
