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
        case lower, upper, arrayDimensions
        case justifyDays, justifyHours, justifyInterval
        case element
        /// A date widened for a cross-type comparison with a timestamp(tz) (`date_lt_timestamp`
        /// and friends): dates beyond the timestamp range compare as "after every finite
        /// timestamp, before infinity" instead of failing like the `::timestamp` cast.
        case widenDate
    }

    /// The six comparison operators.
    enum Comparison: String, Hashable, Sendable, CaseIterable {
        case equal = "=", notEqual = "<>", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="

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
        case literal, parameter(Int), folded
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
        /// `concat(...)`: output text of each non-NULL argument.
        case concat([BoundExpression])
        case arrayCat(BoundExpression, BoundExpression)
        case arrayAppend(BoundExpression, BoundExpression)
        case arrayPrepend(BoundExpression, BoundExpression)
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
            .least(let args), .concat(let args), .array(let args):
            return args
        case .distinct(let a, let b, _), .quantified(_, let a, let b, _), .arrayCat(let a, let b),
            .arrayAppend(let a, let b), .arrayPrepend(let a, let b):
            return [a, b]
        case .inList(let a, let items, _): return [a] + items
        }
    }
}
