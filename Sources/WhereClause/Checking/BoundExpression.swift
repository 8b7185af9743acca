/// A type-checked expression: every node has its static ``SQLType``, implicit coercions are
/// explicit ``Kind/cast(_:)`` nodes, literals and parameters are already parsed into values of
/// their resolved type, and column references point at evaluation slots.
struct BoundExpression: Sendable {
    /// Strict operations: NULL in, NULL out.
    enum Operation: Hashable, Sendable {
        case compare(Comparison)
        case add, subtract, multiply, divide, modulo, power, negate, identity
        case concatText
        case like(caseInsensitive: Bool)
        case contains, containedBy, overlaps
        case element
        /// A date widened for a cross-type comparison with a timestamp(tz) (`date_lt_timestamp`
        /// and friends): dates beyond the timestamp range compare as "after every finite
        /// timestamp, before infinity" instead of failing like the `::timestamp` cast.
        case widenDate
    }

    /// The six comparison operators.
    enum Comparison: String, Hashable, Sendable, CaseIterable {
        case equal = "="
        case notEqual = "<>"
        case less = "<"
        case lessOrEqual = "<="
        case greater = ">"
        case greaterOrEqual = ">="

        func holds(_ order: Int) -> Bool {
            switch self {
            case .equal: order == 0
            case .notEqual: order != 0
            case .less: order < 0
            case .lessOrEqual: order <= 0
            case .greater: order > 0
            case .greaterOrEqual: order >= 0
            }
        }
    }

    /// Where a constant came from; all become bind parameters when rendered.
    enum ConstantOrigin: Hashable, Sendable {
        case literal
        case parameter(Int)
        case folded
    }

    indirect enum Kind: Sendable {
        case constant(Value, ConstantOrigin)
        case column(slot: Int, name: String)
        /// Conversion of the operand to this node's type.
        case cast(BoundExpression)
        case operation(Operation, [BoundExpression])
        case and([BoundExpression])
        case or([BoundExpression])
        case not(BoundExpression)
        case isNull(BoundExpression, negated: Bool)
        case booleanTest(BoundExpression, SyntaxNode.BooleanTest, negated: Bool)
        /// Operands already coerced to a common comparable type.
        case distinct(BoundExpression, BoundExpression, negated: Bool)
        /// `lhs [NOT] IN (items)`; all coerced to one comparable type.
        case inList(BoundExpression, [BoundExpression], negated: Bool)
        /// `lhs op ANY/ALL (array)`; the array's element type is the operator's right type.
        case quantified(Operation, BoundExpression, BoundExpression, all: Bool)
        case coalesce([BoundExpression])
        case greatest([BoundExpression])
        case least([BoundExpression])
        /// A call of a ``FunctionCatalog`` function (also `array || array` and friends, which
        /// are `array_cat` / `array_append` / `array_prepend`).
        case call(SQLFunction, [BoundExpression])
        /// `ARRAY[...]`; elements are scalars of the element type, or arrays for nested levels.
        case array([BoundExpression])
    }

    var kind: Kind
    var type: SQLType
    /// Offset in the where string of the node's token.
    var location: Int

    init(_ kind: Kind, _ type: SQLType, at location: Int) {
        self.kind = kind
        self.type = type
        self.location = location
    }

    var isConstant: Bool {
        if case .constant = kind { return true }
        return false
    }

    var constantValue: Value? {
        if case .constant(let value, _) = kind { return value }
        return nil
    }

    /// The operands of this node, in order.
    var children: [BoundExpression] {
        switch kind {
        case .constant, .column: return []
        case .cast(let e), .not(let e), .isNull(let e, _), .booleanTest(let e, _, _): return [e]
        case .operation(_, let args), .and(let args), .or(let args), .coalesce(let args), .greatest(let args),
            .least(let args), .call(_, let args), .array(let args):
            return args
        case .distinct(let a, let b, _), .quantified(_, let a, let b, _):
            return [a, b]
        case .inList(let a, let items, _): return [a] + items
        }
    }

    /// This node with its operands replaced, in ``children`` order (same count).
    func replacingChildren(_ new: [BoundExpression]) -> BoundExpression {
        var node = self
        switch kind {
        case .constant, .column: return self
        case .cast: node.kind = .cast(new[0])
        case .not: node.kind = .not(new[0])
        case .isNull(_, let negated): node.kind = .isNull(new[0], negated: negated)
        case .booleanTest(_, let test, let negated): node.kind = .booleanTest(new[0], test, negated: negated)
        case .operation(let operation, _): node.kind = .operation(operation, new)
        case .and: node.kind = .and(new)
        case .or: node.kind = .or(new)
        case .coalesce: node.kind = .coalesce(new)
        case .greatest: node.kind = .greatest(new)
        case .least: node.kind = .least(new)
        case .call(let function, _): node.kind = .call(function, new)
        case .array: node.kind = .array(new)
        case .distinct(_, _, let negated): node.kind = .distinct(new[0], new[1], negated: negated)
        case .quantified(let operation, _, _, let all): node.kind = .quantified(operation, new[0], new[1], all: all)
        case .inList(_, _, let negated): node.kind = .inList(new[0], Array(new.dropFirst()), negated: negated)
        }
        return node
    }
}
