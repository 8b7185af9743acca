/// Turns a ``SyntaxNode`` tree into a ``BoundExpression`` tree against a table's columns and
/// the request's parameters, resolving operators and functions the way PostgreSQL does.
///
/// Constants (literals and parameters) stay `unknown`-typed until context types them; then
/// they are parsed with the target type's input function, and invalid text fails with
/// `invalid syntax for type <t>: <text>` at the literal's location.
struct TypeChecker {
    let columns: [String: WhereColumn]
    let parameters: [Int: String]
    /// Referenced columns in slot order.
    private(set) var referenced: [WhereColumn] = []
    private var slots: [String: Int] = [:]

    init(columns: [WhereColumn], parameters: [Int: String]) {
        var byName: [String: WhereColumn] = [:]
        for column in columns where byName[column.name] == nil { byName[column.name] = column }
        self.columns = byName
        self.parameters = parameters
    }

    /// Checks a whole where clause: the result must be boolean.
    mutating func checkCondition(_ node: SyntaxNode) throws(WhereClauseError) -> BoundExpression {
        let bound = try check(node)
        if bound.type.isUnknown { return try coerce(bound, to: .bool) }
        guard bound.type == .bool else { throw .compile(nil, "WHERE clause must return a boolean") }
        return bound
    }

    static func columnType(_ column: WhereColumn) -> SQLType {
        let base = column.isEnum
            ? .enumeration(EnumTypeID.named(column.typeName))
            : (SQLType.base(named: column.typeName) ?? .enumeration(EnumTypeID.named(column.typeName)))
        return SQLType(base, array: column.isArray)
    }

    mutating func check(_ node: SyntaxNode) throws(WhereClauseError) -> BoundExpression {
        let at = node.location
        switch node.kind {
        case .column(let name):
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
        case .string(let text):
            return BoundExpression(.constant(.text(text), .literal), .unknown, at: at)
        case .parameter(let number):
            guard let text = parameters[number] else { throw .compile(at, "parameter $\(number) was not provided") }
            return BoundExpression(.constant(.text(text), .parameter(number)), .unknown, at: at)
        case .number(let text):
            return try numberLiteral(text, at: at)
        case .boolean(let value):
            return BoundExpression(.constant(.bool(value), .literal), .bool, at: at)
        case .null:
            return BoundExpression(.constant(.null, .literal), .unknown, at: at)
        case .cast(let operand, let typeName):
            return try explicitCast(try check(operand), to: try resolveTypeName(typeName, at: at), at: at)
        case .unary(let symbol, let operand):
            return try prefixOperator(symbol, try check(operand), at: at)
        case .binary(let symbol, let left, let right):
            return try binaryOperator(symbol, try check(left), try check(right), at: at)
        case .and(let operands):
            return try logical(isAnd: true, operands, at: at)
        case .or(let operands):
            return try logical(isAnd: false, operands, at: at)
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
        case .distinct(let left, let right, let negated):
            return try distinct(try check(left), try check(right), negated: negated, at: at)
        case .inList(let operand, let items, let negated):
            return try inList(operand, items, negated: negated, at: at)
        case .like(let operand, let pattern, let caseInsensitive, let negated):
            let symbol = (negated ? "!" : "") + (caseInsensitive ? "~~*" : "~~")
            let base = caseInsensitive ? "~~*" : "~~"
            let like = try resolveBinary(base, display: symbol, try check(operand), try check(pattern), at: at)
            return negated ? BoundExpression(.not(like), .bool, at: at) : like
        case .between(let operand, let low, let high, let symmetric, let negated):
            return try between(operand, low, high, symmetric: symmetric, negated: negated, at: at)
        case .quantified(let symbol, let left, let right, let all):
            return try quantified(symbol, try check(left), try check(right), all: all, at: at)
        case .array(let elements):
            return try arrayConstructor(elements, at: at)
        case .function(let name, let arguments):
            return try function(name, arguments, at: at)
        case .element(let array, let index):
            let base = try check(array)
            guard base.type.isArray else {
                throw .compile(at, "cannot subscript type \(base.type) because it does not support subscripting")
            }
            let position = try coerce(try check(index), to: .int4, context: "array subscript")
            return BoundExpression(.operation(.element, [base, position]), base.type.element, at: at)
        }
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
