extension TypeChecker {
    typealias Signature = (left: SQLType, right: SQLType, result: SQLType, operation: BoundExpression.Operation)

    /// Resolves a binary operator over operand types (no polymorphic `||`): the catalog for
    /// scalar types; same-type equality for enums; same-type comparisons and containment for
    /// arrays.
    func signature(_ symbol: String, display: String, _ left: SQLType, _ right: SQLType, at: Int)
        throws(WhereClauseError) -> Signature
    {
        let notFound = WhereClauseError.compile(at, "operator does not exist: \(left) \(display) \(right)")
        if left.isArray || right.isArray || left.isEnum || right.isEnum {
            let type = left.isUnknown ? right : left
            guard left == right || left.isUnknown || right.isUnknown, !type.isUnknown else { throw notFound }
            let comparison = BoundExpression.Comparison(rawValue: symbol == "!=" ? "<>" : symbol)
            if type.isEnum || (type.isArray && type.element.isEnum) {
                // Enum sort order is the declaration order, which the engine does not know.
                guard left == right,
                    comparison == .equal || comparison == .notEqual || (type.isArray && ["@>", "<@", "&&"].contains(symbol))
                else { throw notFound }
            }
            if let comparison { return (type, type, .bool, .compare(comparison)) }
            guard type.isArray else { throw notFound }
            switch symbol {
            case "@>": return (type, type, .bool, .contains)
            case "<@": return (type, type, .bool, .containedBy)
            case "&&": return (type, type, .bool, .overlaps)
            default: throw notFound
            }
        }
        let key = symbol == "!=" ? "<>" : symbol
        switch OperatorCatalog.resolve(OperatorCatalog.binary[key] ?? [], inputs: [left, right]) {
        case .found(let c):
            if let wide = c.widened { return (wide, wide, c.result, c.operation) }
            return (c.left ?? c.right, c.right, c.result, c.operation)
        case .none: throw notFound
        case .ambiguous: throw .compile(at, "operator is not unique: \(left) \(display) \(right)")
        }
    }

    mutating func binaryOperator(_ symbol: String, _ left: BoundExpression, _ right: BoundExpression, at: Int)
        throws(WhereClauseError) -> BoundExpression
    {
        if symbol == "||" { return try concatenation(left, right, at: at) }
        return try resolveBinary(symbol, display: symbol, left, right, at: at)
    }

    func resolveBinary(_ symbol: String, display: String, _ left: BoundExpression, _ right: BoundExpression, at: Int)
        throws(WhereClauseError) -> BoundExpression
    {
        let s = try signature(symbol, display: display, left.type, right.type, at: at)
        let operands = [try comparisonOperand(left, to: s.left, s.operation), try comparisonOperand(right, to: s.right, s.operation)]
        return BoundExpression(.operation(s.operation, operands), s.result, at: at)
    }

    /// Coerces an operand; a date compared with a timestamp(tz) is widened without the
    /// cast's range error, as PostgreSQL's cross-type comparison functions do.
    func comparisonOperand(_ operand: BoundExpression, to target: SQLType, _ operation: BoundExpression.Operation)
        throws(WhereClauseError) -> BoundExpression
    {
        if case .compare = operation, operand.type == .date, target == .timestamp || target == .timestamptz {
            return BoundExpression(.operation(.widenDate, [operand]), target, at: operand.location)
        }
        return try coerce(operand, to: target)
    }

    /// `||`: array concatenation forms (`anycompatiblearray`), `text || text`, and
    /// `text || anynonarray` / `anynonarray || text` (the non-text side cast to text).
    func concatenation(_ left: BoundExpression, _ right: BoundExpression, at: Int) throws(WhereClauseError)
        -> BoundExpression
    {
        let l = left.type
        let r = right.type
        if l.isArray || r.isArray {
            if l.isArray && (r.isArray || r.isUnknown) || (l.isUnknown && r.isArray) {
                let (type, both) = try unify([left, right], context: "ARRAY")
                return BoundExpression(.call(FunctionCatalog.arrayCat, both), type, at: at)
            }
            let array = l.isArray ? left : right
            let scalar = l.isArray ? right : left
            guard let typed = try resolveArrayAndElement(array: array, element: scalar, context: "ARRAY") else {
                throw .compile(at, "operator does not exist: \(l) || \(r)")
            }
            if l.isArray { return BoundExpression(.call(FunctionCatalog.arrayAppend, typed.arguments), typed.result, at: at) }
            return BoundExpression(.call(FunctionCatalog.arrayPrepend, typed.arguments.reversed()), typed.result, at: at)
        }
        let leftText = l.isString || l.isUnknown
        let rightText = r.isString || r.isUnknown
        if leftText && rightText { return try resolveBinary("||", display: "||", left, right, at: at) }
        if leftText || rightText {
            func asText(_ e: BoundExpression) throws(WhereClauseError) -> BoundExpression {
                if e.type.isString || e.type.isUnknown { return try coerce(e, to: .text) }
                // textanycat is `$1 || $2::text`: the cast, so booleans become 'true'/'false'.
                return BoundExpression(.cast(e), .text, at: e.location)
            }
            return BoundExpression(.operation(.concatText, [try asText(left), try asText(right)]), .text, at: at)
        }
        throw .compile(at, "operator does not exist: \(l) || \(r)")
    }

    func prefixOperator(_ symbol: String, _ operand: BoundExpression, at: Int) throws(WhereClauseError) -> BoundExpression {
        switch OperatorCatalog.resolve(OperatorCatalog.prefix[symbol] ?? [], inputs: [operand.type]) {
        case .found(let c):
            let typed = try coerce(operand, to: c.right)
            return BoundExpression(.operation(c.operation, [typed]), c.result, at: at)
        case .none: throw .compile(at, "operator does not exist: \(symbol) \(operand.type)")
        case .ambiguous: throw .compile(at, "operator is not unique: \(symbol) \(operand.type)")
        }
    }

    func distinct(_ left: BoundExpression, _ right: BoundExpression, negated: Bool, at: Int) throws(WhereClauseError)
        -> BoundExpression
    {
        var l = left
        var r = right
        if l.type.isUnknown && r.type.isUnknown {
            l = try coerce(l, to: .text)
            r = try coerce(r, to: .text)
        }
        let equality = try resolveBinary("=", display: "=", l, r, at: at)
        guard case .operation(_, let operands) = equality.kind else { return equality }
        return BoundExpression(.distinct(operands[0], operands[1], negated: negated), .bool, at: at)
    }

    /// `x [NOT] IN (items)` the way PostgreSQL's `transformAExprIn` builds it: items without
    /// column references (at least two, with a common type) become one `x = ANY(ARRAY[...])`
    /// test; every other item becomes its own `x = item` (`x <> item` for NOT IN), combined
    /// left to right with OR (AND). The order matters for which errors short-circuiting skips.
    /// `left` and `items` are already checked (by the caller, so that this method is not on
    /// the recursive path).
    func inList(_ left: BoundExpression, _ items: [BoundExpression], negated: Bool, at: Int) throws(WhereClauseError)
        -> BoundExpression
    {
        var constants: [BoundExpression] = []
        var others: [BoundExpression] = []
        for bound in items {
            if TypeChecker.referencesColumns(bound) { others.append(bound) } else { constants.append(bound) }
        }
        var parts: [BoundExpression] = []
        if constants.count > 1, let type = try? commonType([left] + constants, context: "IN"), !type.isEnum,
            (try? signature("=", display: "=", type, type, at: at)) != nil
        {
            let typedLeft = try coerce(left, to: type)
            var typedItems: [BoundExpression] = []
            for item in constants { typedItems.append(try coerce(item, to: type)) }
            parts.append(BoundExpression(.inList(typedLeft, typedItems, negated: negated), .bool, at: at))
        } else {
            others = constants + others
            others.sort { $0.location < $1.location }
        }
        let symbol = negated ? "<>" : "="
        for item in others { parts.append(try resolveBinary(symbol, display: symbol, left, item, at: at)) }
        if parts.count == 1 { return parts[0] }
        return BoundExpression(negated ? .and(parts) : .or(parts), .bool, at: at)
    }

    static func referencesColumns(_ e: BoundExpression) -> Bool {
        if case .column = e.kind { return true }
        return e.children.contains(where: referencesColumns)
    }

    mutating func between(
        _ operand: SyntaxNode, _ low: SyntaxNode, _ high: SyntaxNode, symmetric: Bool, negated: Bool, at: Int
    ) throws(WhereClauseError) -> BoundExpression {
        func range(_ lo: SyntaxNode, _ hi: SyntaxNode) throws(WhereClauseError) -> BoundExpression {
            let x = try check(operand)
            let lower = try resolveBinary(negated ? "<" : ">=", display: negated ? "<" : ">=", x, try check(lo), at: at)
            let upper = try resolveBinary(negated ? ">" : "<=", display: negated ? ">" : "<=", x, try check(hi), at: at)
            return BoundExpression(negated ? .or([lower, upper]) : .and([lower, upper]), .bool, at: at)
        }
        let forward = try range(low, high)
        guard symmetric else { return forward }
        let backward = try range(high, low)
        return BoundExpression(negated ? .and([forward, backward]) : .or([forward, backward]), .bool, at: at)
    }

    func quantified(_ symbol: String, _ left: BoundExpression, _ right: BoundExpression, all: Bool, at: Int)
        throws(WhereClauseError) -> BoundExpression
    {
        guard right.type.isArray || right.type.isUnknown else {
            throw .compile(at, "op ANY/ALL (array) requires array on right side")
        }
        var l = left
        if l.type.isUnknown && right.type.isUnknown { l = try coerce(l, to: .text) }
        let elementType = right.type.isArray ? right.type.element : SQLType.unknown
        let s = try signature(symbol, display: symbol, l.type, elementType.isUnknown ? l.type : elementType, at: at)
        guard s.result == .bool else { throw .compile(at, "op ANY/ALL (array) requires operator to yield boolean") }
        let typedLeft = try coerce(l, to: s.left)
        let typedRight = try coerce(right, to: s.right.asArray)
        return BoundExpression(.quantified(s.operation, typedLeft, typedRight, all: all), .bool, at: at)
    }
}
