/// Renders a checked expression back to SQL.
///
/// Three modes:
/// - ``Mode/parameters``: every non-NULL constant becomes a bind parameter `$k::type`
///   (values in ``parameters``, PostgreSQL text format), so request text never reaches the
///   SQL string; used for subset queries.
/// - ``Mode/inline``: constants are inlined as quoted literals `'v'::type`; deterministic, used
///   as the normalized form in shape identity.
/// - ``Mode/literals(_:)``: the `k`-th constant (counted as ``Mode/parameters`` numbers them,
///   from 1) is the given, already quoted literal: `literals[k - 1]::type`; used for the
///   snapshot's COPY, which takes no bind parameters (``WhereClause/sql(quotingConstantsWith:)``).
///
/// Every node is parenthesized and every operand carries an explicit type, so PostgreSQL
/// resolves exactly the operators the checker chose. Ordering comparisons of strings carry
/// `COLLATE "C"` so that the snapshot orders text by bytes exactly like the evaluator.
struct SQLRenderer {
    enum Mode {
        case parameters, inline
        case literals([String])
    }

    let mode: Mode
    var nextIndex: Int
    var parameters: [String] = []

    init(mode: Mode, firstParameterIndex: Int = 1) {
        self.mode = mode
        self.nextIndex = firstParameterIndex
    }

    static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func quoteLiteral(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }

    mutating func constant(_ value: Value, _ type: SQLType) -> String {
        let typeName = (type.isUnknown ? SQLType.text : type).sqlName
        if value.isNull { return "NULL::\(typeName)" }
        let text = ValueText.format(value, as: type)
        switch mode {
        case .inline:
            return SQLRenderer.quoteLiteral(text) + "::" + typeName
        case .parameters:
            parameters.append(text)
            defer { nextIndex += 1 }
            return "$\(nextIndex)::\(typeName)"
        case .literals(let literals):
            defer { nextIndex += 1 }
            return literals[nextIndex - 1] + "::" + typeName
        }
    }

    /// A thin dispatcher (the string building is in per-kind methods), so that the deepest
    /// clause ``WhereClauseLimits/maxDepth`` admits renders within a 512 KiB stack.
    mutating func render(_ e: BoundExpression) -> String {
        switch e.kind {
        case .constant(let value, _): return constant(value, e.type)
        case .column(_, let name): return SQLRenderer.quoteIdentifier(name)
        case .operation(let operation, let args): return renderOperation(operation, args)
        case .and, .or, .inList, .coalesce, .greatest, .least, .call, .array: return renderList(e)
        case .cast, .not, .isNull, .booleanTest, .distinct, .quantified: return renderTest(e)
        }
    }

    private mutating func renderList(_ e: BoundExpression) -> String {
        switch e.kind {
        case .and(let args): return "(" + args.map { render($0) }.joined(separator: " AND ") + ")"
        case .or(let args): return "(" + args.map { render($0) }.joined(separator: " OR ") + ")"
        case .inList(let a, let items, let negated):
            let left = render(a)
            return "(\(left) \(negated ? "NOT " : "")IN (" + items.map { render($0) }.joined(separator: ", ") + "))"
        case .coalesce(let args): return call("coalesce", args)
        case .greatest(let args): return call("greatest", args)
        case .least(let args): return call("least", args)
        case .call(let function, let args): return call(function.name, args)
        case .array(let args): return "ARRAY[" + args.map { render($0) }.joined(separator: ", ") + "]"
        default: return render(e)
        }
    }

    private mutating func renderTest(_ e: BoundExpression) -> String {
        switch e.kind {
        case .cast(let inner): return "(\(render(inner)))::\(e.type.sqlName)"
        case .not(let inner): return "(NOT \(render(inner)))"
        case .isNull(let inner, let negated): return "(\(render(inner)) IS \(negated ? "NOT " : "")NULL)"
        case .booleanTest(let inner, let test, let negated):
            return "(\(render(inner)) IS \(negated ? "NOT " : "")\(test.rawValue))"
        case .distinct(let a, let b, let negated):
            return "(\(render(a)) IS \(negated ? "NOT " : "")DISTINCT FROM \(render(b)))"
        case .quantified(let operation, let a, let b, let all):
            let symbol: String
            switch operation {
            case .compare(let c): symbol = c.rawValue
            case .like(let ci): symbol = ci ? "~~*" : "~~"
            default: symbol = "="
            }
            return "(\(render(a)) \(symbol) \(all ? "ALL" : "ANY") (\(render(b))))"
        default: return render(e)
        }
    }

    private mutating func call(_ name: String, _ args: [BoundExpression]) -> String {
        name + "(" + args.map { render($0) }.joined(separator: ", ") + ")"
    }

    private mutating func infix(_ symbol: String, _ args: [BoundExpression]) -> String {
        "(\(render(args[0])) \(symbol) \(render(args[1])))"
    }

    private mutating func renderOperation(_ operation: BoundExpression.Operation, _ args: [BoundExpression]) -> String {
        switch operation {
        case .compare(let c):
            let orders = c != .equal && c != .notEqual
            if orders && args[0].type.element.isString {
                return "(\(render(args[0])) \(c.rawValue) \(render(args[1])) COLLATE \"C\")"
            }
            return infix(c.rawValue, args)
        case .add: return infix("+", args)
        case .subtract: return infix("-", args)
        case .multiply: return infix("*", args)
        case .divide: return infix("/", args)
        case .modulo: return infix("%", args)
        case .power: return infix("^", args)
        case .negate: return "(- \(render(args[0])))"
        case .identity: return "(+ \(render(args[0])))"
        case .concatText: return infix("||", args)
        case .like(let ci): return infix(ci ? "ILIKE" : "LIKE", args)
        case .contains: return infix("@>", args)
        case .containedBy: return infix("<@", args)
        case .overlaps: return infix("&&", args)
        case .element: return "(\(render(args[0])))[\(render(args[1]))]"
        // PostgreSQL picks the cross-type comparison operator itself from the bare date.
        case .widenDate: return render(args[0])
        }
    }
}
