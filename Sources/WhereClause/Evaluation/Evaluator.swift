/// Evaluates a ``BoundExpression`` over one row's parsed column values with SQL
/// three-valued logic. `.null` is SQL NULL (unknown for booleans).
///
/// Evaluation errors (overflow, division by zero, invalid input in a cast) are thrown as
/// ``WhereClauseError`` with kind `.evaluation`; the public API maps them to "not in shape".
enum Evaluator {
    static func evaluate(_ e: BoundExpression, _ slots: UnsafeMutableBufferPointer<Value>) throws(WhereClauseError) -> Value {
        switch e.kind {
        case .constant(let value, _):
            return value
        case .column(let slot, _):
            return slots[slot]
        case .cast(let inner):
            let value = try evaluate(inner, slots)
            if value.isNull { return .null }
            return try Casts.convert(value, from: inner.type, to: e.type)
        case .operation(let operation, let arguments):
            if arguments.count == 1 {
                let a = try evaluate(arguments[0], slots)
                if a.isNull { return .null }
                return try Operations.unary(operation, a, type: arguments[0].type, result: e.type)
            }
            // PostgreSQL evaluates every argument of a strict function before checking for
            // NULLs, so an error in the second argument surfaces even when the first is NULL.
            let a = try evaluate(arguments[0], slots)
            let b = try evaluate(arguments[1], slots)
            if a.isNull || b.isNull { return .null }
            return try Operations.binary(operation, a, b, leftType: arguments[0].type, rightType: arguments[1].type, result: e.type)
        case .and(let operands):
            var sawNull = false
            for operand in operands {
                switch try evaluate(operand, slots) {
                case .bool(false): return .bool(false)
                case .null: sawNull = true
                default: break
                }
            }
            return sawNull ? .null : .bool(true)
        case .or(let operands):
            var sawNull = false
            for operand in operands {
                switch try evaluate(operand, slots) {
                case .bool(true): return .bool(true)
                case .null: sawNull = true
                default: break
                }
            }
            return sawNull ? .null : .bool(false)
        case .not(let operand):
            if case .bool(let b) = try evaluate(operand, slots) { return .bool(!b) }
            return .null
        case .isNull(let operand, let negated):
            return .bool(try evaluate(operand, slots).isNull != negated)
        case .booleanTest(let operand, let test, let negated):
            let value = try evaluate(operand, slots)
            let holds: Bool
            switch (test, value) {
            case (.isTrue, .bool(let b)): holds = b
            case (.isFalse, .bool(let b)): holds = !b
            case (.isUnknown, let v): holds = v.isNull
            default: holds = false
            }
            return .bool(holds != negated)
        case .distinct(let left, let right, let negated):
            let a = try evaluate(left, slots), b = try evaluate(right, slots)
            let isDistinct: Bool
            switch (a.isNull, b.isNull) {
            case (true, true): isDistinct = false
            case (true, false), (false, true): isDistinct = true
            case (false, false): isDistinct = ValueOrder.compare(a, b, bpchar: left.type.base == .bpchar) != 0
            }
            return .bool(isDistinct != negated)
        case .inList(let left, let items, let negated):
            // Evaluated like PostgreSQL's `x = ANY(ARRAY[items])`: every item first.
            let a = try evaluate(left, slots)
            var values: [Value] = []
            values.reserveCapacity(items.count)
            for item in items { values.append(try evaluate(item, slots)) }
            if a.isNull { return .null }
            var sawNull = false
            let bpchar = left.type.base == .bpchar
            for b in values {
                if b.isNull {
                    sawNull = true
                } else if ValueOrder.compare(a, b, bpchar: bpchar) == 0 {
                    return .bool(!negated)
                }
            }
            return sawNull ? .null : .bool(negated)
        case .quantified(let operation, let left, let right, let all):
            return try quantified(operation, left, right, all: all, slots)
        case .coalesce(let operands):
            for operand in operands {
                let value = try evaluate(operand, slots)
                if !value.isNull { return value }
            }
            return .null
        case .greatest(let operands), .least(let operands):
            var greatest = false
            if case .greatest = e.kind { greatest = true }
            var best: Value = .null
            for operand in operands {
                let value = try evaluate(operand, slots)
                if value.isNull { continue }
                if best.isNull {
                    best = value
                    continue
                }
                let order = ValueOrder.compare(value, best, bpchar: e.type.base == .bpchar)
                if greatest ? order > 0 : order < 0 { best = value }
            }
            return best
        case .concat(let operands):
            var text = ""
            for operand in operands {
                let value = try evaluate(operand, slots)
                if !value.isNull { text += ValueText.format(value, as: operand.type) }
            }
            return .text(text)
        case .arrayCat(let left, let right):
            return try ArrayOperations.concatenate(try evaluate(left, slots), try evaluate(right, slots))
        case .arrayAppend(let array, let element):
            return try ArrayOperations.append(try evaluate(array, slots), try evaluate(element, slots))
        case .arrayPrepend(let element, let array):
            return try ArrayOperations.prepend(try evaluate(element, slots), try evaluate(array, slots))
        case .array(let elements):
            var values: [Value] = []
            values.reserveCapacity(elements.count)
            for element in elements { values.append(try evaluate(element, slots)) }
            return try ArrayOperations.construct(values, nested: elements.first?.type.isArray ?? false)
        }
    }

    /// `x op ANY/ALL (array)` with PostgreSQL's NULL rules: an empty array gives false (ANY) or
    /// true (ALL) even for a NULL `x`.
    private static func quantified(
        _ operation: BoundExpression.Operation, _ left: BoundExpression, _ right: BoundExpression, all: Bool,
        _ slots: UnsafeMutableBufferPointer<Value>
    ) throws(WhereClauseError) -> Value {
        let a = try evaluate(left, slots)
        guard case .array(let array) = try evaluate(right, slots) else { return .null }
        if array.elements.isEmpty { return .bool(all) }
        if a.isNull { return .null }
        var sawNull = false
        let elementType = right.type.element
        for element in array.elements {
            if element.isNull {
                sawNull = true
                continue
            }
            let result = try Operations.binary(operation, a, element, leftType: left.type, rightType: elementType, result: .bool)
            guard case .bool(let holds) = result else {
                sawNull = true
                continue
            }
            if holds != all { return .bool(holds) }
        }
        return sawNull ? .null : .bool(all)
    }
}
