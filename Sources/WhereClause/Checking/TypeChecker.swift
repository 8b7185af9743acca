/// Turns a ``SyntaxNode`` tree into a ``BoundExpression`` tree against a table's columns and
/// the request's parameters, resolving operators and functions the way PostgreSQL does.
///
/// Constants (literals and parameters) stay `unknown`-typed until context types them; then
/// they are parsed with the target type's input function, and invalid text fails with
/// `invalid syntax for type <t>: <text>` at the literal's location.
struct TypeChecker {
    let columns: [String: WhereColumn]
    let parameters: [Int: String]
    /// Bounds on constants typed here (``WhereClauseLimits/maxArrayElements`` for array literals).
    let limits: WhereClauseLimits
    /// Referenced columns in slot order.
    private(set) var referenced: [WhereColumn] = []
    private var slots: [String: Int] = [:]

    init(columns: [WhereColumn], parameters: [Int: String], limits: WhereClauseLimits = .default) {
        var byName: [String: WhereColumn] = [:]
        for column in columns where byName[column.name] == nil { byName[column.name] = column }
        self.columns = byName
        self.parameters = parameters
        self.limits = limits
    }

    /// Checks a whole where clause: the result must be boolean.
    mutating func checkCondition(_ node: SyntaxNode) throws(WhereClauseError) -> BoundExpression {
        let bound = try check(node)
        if bound.type.isUnknown { return try coerce(bound, to: .bool) }
        guard bound.type == .bool else { throw .compile(nil, "WHERE clause must return a boolean") }
        return bound
    }

    static func columnType(_ column: WhereColumn) -> SQLType {
        let base =
            column.isEnum
            ? .enumeration(EnumTypeID.named(column.typeName))
            : (SQLType.base(named: column.typeName) ?? .enumeration(EnumTypeID.named(column.typeName)))
        return SQLType(base, array: column.isArray)
    }

    /// Checks one node. A thin dispatcher: each kind is checked by its own method, so that
    /// the recursion (one dispatcher and one method frame per level) stays small even in a
    /// debug build, where every temporary of a function keeps its own stack slot; the
    /// deepest clause ``WhereClauseLimits/maxDepth`` admits must fit a 512 KiB thread stack.
    mutating func check(_ node: SyntaxNode) throws(WhereClauseError) -> BoundExpression {
        switch node.kind {
        case .column: return try checkColumn(node)
        case .string, .parameter, .number, .boolean, .null: return try checkConstant(node)
        case .cast: return try checkCast(node)
        case .unary, .binary, .like, .quantified: return try checkOperator(node)
        case .and, .or: return try checkLogical(node)
        case .not, .isNull, .booleanTest: return try checkTest(node)
        case .distinct, .inList, .between: return try checkComparison(node)
        case .array, .function: return try checkConstruction(node)
        case .element: return try checkElement(node)
        }
    }

    private mutating func checkColumn(_ node: SyntaxNode) throws(WhereClauseError) -> BoundExpression {
        guard case .column(let name) = node.kind else { throw .internalError }
        let at = node.location
        guard let column = columns[name] else { throw .compile(at, "unknown reference \(name)") }
        let type = TypeChecker.columnType(column)
        if case .enumeration = type.base, SQLType.base(named: column.typeName) == nil, !column.isEnum {
            throw .compile(at, "unsupported type \(column.typeName) of column \(name)")
        }
        let slot: Int
        if let existing = slots[name] {
            slot = existing
        } else {
            slot = referenced.count
            slots[name] = slot
            referenced.append(column)
        }
        return BoundExpression(.column(slot: slot, name: name), type, at: at)
    }

    private func checkConstant(_ node: SyntaxNode) throws(WhereClauseError) -> BoundExpression {
        let at = node.location
        switch node.kind {
        case .string(let text):
            return BoundExpression(.constant(.text(text), .literal), .unknown, at: at)
        case .parameter(let number):
            guard let text = parameters[number] else { throw .compile(at, "parameter $\(number) was not provided") }
            return BoundExpression(.constant(.text(text), .parameter(number)), .unknown, at: at)
        case .number(let text):
            return try numberLiteral(text, at: at)
        case .boolean(let value):
            return BoundExpression(.constant(.bool(value), .literal), .bool, at: at)
        default:
            return BoundExpression(.constant(.null, .literal), .unknown, at: at)
        }
    }

    private mutating func checkCast(_ node: SyntaxNode) throws(WhereClauseError) -> BoundExpression {
        guard case .cast(let operand, let typeName) = node.kind else { throw .internalError }
        let bound = try check(operand)
        return try explicitCast(bound, to: try resolveTypeName(typeName, at: node.location), at: node.location)
    }

    private mutating func checkOperator(_ node: SyntaxNode) throws(WhereClauseError) -> BoundExpression {
        let at = node.location
        switch node.kind {
        case .unary(let symbol, let operand):
            return try prefixOperator(symbol, try check(operand), at: at)
        case .binary(let symbol, let left, let right):
            let l = try check(left)
            return try binaryOperator(symbol, l, try check(right), at: at)
        case .like(let operand, let pattern, let caseInsensitive, let negated):
            let symbol = (negated ? "!" : "") + (caseInsensitive ? "~~*" : "~~")
            let l = try check(operand)
            let like = try resolveBinary(caseInsensitive ? "~~*" : "~~", display: symbol, l, try check(pattern), at: at)
            return negated ? BoundExpression(.not(like), .bool, at: at) : like
        case .quantified(let symbol, let left, let right, let all):
            let l = try check(left)
            return try quantified(symbol, l, try check(right), all: all, at: at)
        default:
            throw .internalError
        }
    }

    private mutating func checkTest(_ node: SyntaxNode) throws(WhereClauseError) -> BoundExpression {
        let at = node.location
        switch node.kind {
        case .not(let operand):
            let bound = try requireBoolean(try check(operand), context: "NOT")
            return BoundExpression(.not(bound), .bool, at: at)
        case .isNull(let operand, let negated):
            var bound = try check(operand)
            if bound.type.isUnknown { bound = try coerce(bound, to: .text) }
            return BoundExpression(.isNull(bound, negated: negated), .bool, at: at)
        case .booleanTest(let operand, let test, let negated):
            let context = "IS \(negated ? "NOT " : "")\(test.rawValue)"
            let bound = try requireBoolean(try check(operand), context: context)
            return BoundExpression(.booleanTest(bound, test, negated: negated), .bool, at: at)
        default:
            throw .internalError
        }
    }

    private mutating func checkLogical(_ node: SyntaxNode) throws(WhereClauseError) -> BoundExpression {
        switch node.kind {
        case .and(let operands): return try logical(isAnd: true, operands, at: node.location)
        case .or(let operands): return try logical(isAnd: false, operands, at: node.location)
        default: throw .internalError
        }
    }

    private mutating func checkComparison(_ node: SyntaxNode) throws(WhereClauseError) -> BoundExpression {
        switch node.kind {
        case .distinct(let left, let right, let negated):
            let l = try check(left)
            return try distinct(l, try check(right), negated: negated, at: node.location)
        case .inList(let operand, let items, let negated):
            let left = try check(operand)
            var bound: [BoundExpression] = []
            for item in items { bound.append(try check(item)) }
            return try inList(left, bound, negated: negated, at: node.location)
        case .between(let operand, let low, let high, let symmetric, let negated):
            return try between(operand, low, high, symmetric: symmetric, negated: negated, at: node.location)
        default: throw .internalError
        }
    }

    private mutating func checkConstruction(_ node: SyntaxNode) throws(WhereClauseError) -> BoundExpression {
        switch node.kind {
        case .array(let elements): return try arrayConstructor(elements, at: node.location)
        case .function(let name, let arguments):
            var args: [BoundExpression] = []
            for argument in arguments { args.append(try check(argument)) }
            return try function(name, args, at: node.location)
        default: throw .internalError
        }
    }

    private mutating func checkElement(_ node: SyntaxNode) throws(WhereClauseError) -> BoundExpression {
        guard case .element(let array, let index) = node.kind else { throw .internalError }
        let base = try check(array)
        guard base.type.isArray else {
            throw .compile(node.location, "cannot subscript type \(base.type) because it does not support subscripting")
        }
        let position = try coerce(try check(index), to: .int4, context: "array subscript")
        return BoundExpression(.operation(.element, [base, position]), base.type.element, at: node.location)
    }

    /// Integer literals are int4, int8 when out of int4 range, numeric beyond int8; anything
    /// with a point or exponent is numeric.
    func numberLiteral(_ text: String, at: Int) throws(WhereClauseError) -> BoundExpression {
        let isInteger = !text.contains { $0 == "." || $0 == "e" || $0 == "E" }
        if isInteger, let value = Int64(text) {
            let type: SQLType = Int32(exactly: value) != nil ? .int4 : .int8
            return BoundExpression(.constant(.int(value), .literal), type, at: at)
        }
        guard let numeric = Numeric(text: text) else { throw .compile(at, "invalid syntax for type numeric: \(text)") }
        guard numeric.scale <= Numeric.maxScale else { throw .compile(at, WhereClauseError.numericOverflow.reason) }
        return BoundExpression(.constant(.numeric(numeric), .literal), .numeric, at: at)
    }

    func resolveTypeName(_ name: TypeName, at: Int) throws(WhereClauseError) -> SQLType {
        guard let base = SQLType.base(named: name.name) else { throw .compile(at, "unsupported type \(name.name)") }
        return SQLType(base, array: name.isArray)
    }

    mutating func logical(isAnd: Bool, _ operands: [SyntaxNode], at: Int) throws(WhereClauseError) -> BoundExpression {
        var bound: [BoundExpression] = []
        for operand in operands {
            let checked = try requireBoolean(try check(operand), context: isAnd ? "AND" : "OR")
            // Flatten nested ANDs/ORs so that conjunct extraction and rendering see one list.
            switch (checked.kind, isAnd) {
            case (.and(let inner), true), (.or(let inner), false): bound.append(contentsOf: inner)
            default: bound.append(checked)
            }
        }
        return BoundExpression(isAnd ? .and(bound) : .or(bound), .bool, at: at)
    }

    func requireBoolean(_ bound: BoundExpression, context: String) throws(WhereClauseError) -> BoundExpression {
        if bound.type == .bool { return bound }
        if bound.type.isUnknown { return try coerce(bound, to: .bool) }
        throw .compile(bound.location, "argument of \(context) must be type boolean, not type \(bound.type)")
    }
}
