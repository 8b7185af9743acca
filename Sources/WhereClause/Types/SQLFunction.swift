/// One where-clause function: how a call resolves its argument types, what it computes, and
/// how large its result may grow. An entry in ``FunctionCatalog`` is all a new function
/// needs: the checker, constant folder, evaluator and SQL renderer read everything from here.
struct SQLFunction: Sendable {
    /// A call's arguments after coercion, and the call's result type.
    struct Resolution {
        var arguments: [BoundExpression]
        var result: SQLType
    }

    /// The static types of one call, as the implementation sees them.
    struct Call {
        var argumentTypes: [SQLType]
        var result: SQLType

        init(_ arguments: [BoundExpression], _ result: SQLType) {
            self.argumentTypes = arguments.map(\.type)
            self.result = result
        }
    }

    /// Checks and coerces a call's arguments; nil when no overload accepts them (the
    /// checker reports `function name(types) does not exist`).
    typealias Resolver = @Sendable (TypeChecker, [BoundExpression]) throws(WhereClauseError) -> Resolution?
    /// Computes the result from the argument values (NULL only reaches non-strict functions).
    typealias Implementation = @Sendable ([Value], Call) throws(WhereClauseError) -> Value

    /// How large the result can get, checked against ``WhereClauseLimits/maxResultBytes``
    /// before the implementation runs, so that no call allocates past the limit.
    enum ResultBound: Sendable {
        /// At most a small constant multiple of one argument (`lower`, `justify_days`): the
        /// result grows with the row's data, not with anything the clause repeats.
        case proportional
        /// Text whose UTF-8 length is at most the given estimate of the arguments.
        case text(@Sendable ([Value]) -> Int)
        /// An array with at most the given number of elements.
        case elements(@Sendable ([Value]) -> Int)
    }

    /// The SQL name, as called and as rendered.
    let name: String
    let resolve: Resolver
    /// NULL in any argument gives NULL without calling ``implementation``; the constant folder
    /// also folds such calls with a constant NULL argument, as PostgreSQL's planner does.
    let isStrict: Bool
    /// PostgreSQL marks it STABLE: never constant-folded (errors surface per row).
    let isStable: Bool
    let bound: ResultBound
    let implementation: Implementation

    /// Runs the call on evaluated arguments: NULL handling, the size guard, then the body.
    func apply(_ arguments: [Value], _ call: Call, limits: WhereClauseLimits) throws(WhereClauseError) -> Value {
        if isStrict, arguments.contains(where: \.isNull) { return .null }
        switch bound {
        case .proportional: break
        case .text(let estimate):
            let bytes = estimate(arguments)
            guard bytes <= limits.maxResultBytes else { throw .textResultTooLong(bytes, limit: limits.maxResultBytes) }
        case .elements(let estimate):
            let count = estimate(arguments)
            guard count <= limits.maxResultElements else { throw .arrayResultTooLarge(count, limit: limits.maxResultElements) }
        }
        return try implementation(arguments, call)
    }
}

extension SQLFunction {
    /// A strict function of one argument that coerces implicitly to `argument`, like
    /// `lower(text) → text`.
    static func unary(
        _ name: String, _ argument: SQLType, _ result: SQLType, bound: ResultBound = .proportional,
        _ body: @escaping @Sendable (Value) throws(WhereClauseError) -> Value
    ) -> SQLFunction {
        SQLFunction(
            name: name,
            resolve: { checker, args throws(WhereClauseError) in
                guard args.count == 1, args[0].type.coercesImplicitly(to: argument) else { return nil }
                return Resolution(arguments: [try checker.coerce(args[0], to: argument)], result: result)
            },
            isStrict: true, isStable: false, bound: bound,
            implementation: { values, _ throws(WhereClauseError) in try body(values[0]) })
    }
}
