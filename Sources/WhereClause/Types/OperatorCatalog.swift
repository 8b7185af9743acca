/// The monomorphic operators of the supported types, and PostgreSQL's operator resolution
/// algorithm over them (docs: "Type Conversion → Operators", steps 2–3).
///
/// Cross-type integer, float and date/timestamp operators (`int24pl`, `float48mul`,
/// `date_lt_timestamp`, …) are listed because they change which candidate wins (float4 +
/// int4 is computed in double precision); they are evaluated by widening both operands (see
/// ``Candidate/widened``). Polymorphic operators (arrays, enums, `anynonarray || text`) are
/// handled by the type checker before this catalog is consulted.
enum OperatorCatalog {
    struct Candidate: Hashable {
        var left: SQLType?
        var right: SQLType
        var result: SQLType
        var operation: BoundExpression.Operation
        /// For PostgreSQL's cross-type operators (`int24pl`, `float48mul`, `date_lt_timestamp`,
        /// …): both operands are converted to this type and the same-type operator is applied,
        /// which is what those functions compute.
        var widened: SQLType? = nil
    }

    static let comparable: [SQLType] = [
        .int2, .int4, .int8, .numeric, .float4, .float8, .text, .bpchar, .uuid, .date, .time, .timestamp,
        .timestamptz, .interval, .bool,
    ]
    static let arithmetic: [SQLType] = [.int2, .int4, .int8, .numeric, .float4, .float8]

    static let binary: [String: [Candidate]] = {
        var table: [String: [Candidate]] = [:]
        func add(_ op: String, _ l: SQLType, _ r: SQLType, _ result: SQLType, _ operation: BoundExpression.Operation) {
            table[op, default: []].append(Candidate(left: l, right: r, result: result, operation: operation))
        }
        for comparison in BoundExpression.Comparison.allCases {
            for t in comparable { add(comparison.rawValue, t, t, .bool, .compare(comparison)) }
        }
        // Cross-type operators matter for resolution: `float4 + int4` picks float48pl (double
        // precision) because float8 is the preferred type at the converted position.
        let crossPairs: [(SQLType, SQLType, SQLType)] = [
            (.int2, .int4, .int4), (.int4, .int2, .int4), (.int2, .int8, .int8), (.int8, .int2, .int8),
            (.int4, .int8, .int8), (.int8, .int4, .int8), (.float4, .float8, .float8), (.float8, .float4, .float8),
        ]
        for (l, r, wide) in crossPairs {
            for (op, operation) in [("+", BoundExpression.Operation.add), ("-", .subtract), ("*", .multiply), ("/", .divide)] {
                table[op, default: []].append(Candidate(left: l, right: r, result: wide, operation: operation, widened: wide))
            }
        }
        let crossComparisons: [(SQLType, SQLType, SQLType)] =
            crossPairs + [
                (.date, .timestamp, .timestamp), (.timestamp, .date, .timestamp), (.date, .timestamptz, .timestamptz),
                (.timestamptz, .date, .timestamptz), (.timestamp, .timestamptz, .timestamptz), (.timestamptz, .timestamp, .timestamptz),
            ]
        for comparison in BoundExpression.Comparison.allCases {
            for (l, r, wide) in crossComparisons {
                table[comparison.rawValue, default: []].append(
                    Candidate(left: l, right: r, result: .bool, operation: .compare(comparison), widened: wide))
            }
        }
        for t in arithmetic {
            add("+", t, t, t, .add)
            add("-", t, t, t, .subtract)
            add("*", t, t, t, .multiply)
            add("/", t, t, t, .divide)
        }
        for t in [SQLType.int2, .int4, .int8, .numeric] { add("%", t, t, t, .modulo) }
        add("^", .float8, .float8, .float8, .power)
        add("^", .numeric, .numeric, .numeric, .power)
        add("+", .interval, .interval, .interval, .add)
        add("-", .interval, .interval, .interval, .subtract)
        add("+", .date, .int4, .date, .add)
        add("+", .int4, .date, .date, .add)
        add("-", .date, .int4, .date, .subtract)
        add("-", .date, .date, .int4, .subtract)
        add("+", .date, .interval, .timestamp, .add)
        add("+", .interval, .date, .timestamp, .add)
        add("-", .date, .interval, .timestamp, .subtract)
        add("+", .date, .time, .timestamp, .add)
        add("+", .time, .date, .timestamp, .add)
        add("+", .timestamp, .interval, .timestamp, .add)
        add("+", .interval, .timestamp, .timestamp, .add)
        add("-", .timestamp, .interval, .timestamp, .subtract)
        add("+", .timestamptz, .interval, .timestamptz, .add)
        add("+", .interval, .timestamptz, .timestamptz, .add)
        add("-", .timestamptz, .interval, .timestamptz, .subtract)
        add("+", .time, .interval, .time, .add)
        add("+", .interval, .time, .time, .add)
        add("-", .time, .interval, .time, .subtract)
        add("-", .time, .time, .interval, .subtract)
        add("-", .timestamp, .timestamp, .interval, .subtract)
        add("-", .timestamptz, .timestamptz, .interval, .subtract)
        add("*", .interval, .float8, .interval, .multiply)
        add("*", .float8, .interval, .interval, .multiply)
        add("/", .interval, .float8, .interval, .divide)
        add("||", .text, .text, .text, .concatText)
        add("~~", .text, .text, .bool, .like(caseInsensitive: false))
        add("~~", .bpchar, .text, .bool, .like(caseInsensitive: false))
        add("~~*", .text, .text, .bool, .like(caseInsensitive: true))
        add("~~*", .bpchar, .text, .bool, .like(caseInsensitive: true))
        return table
    }()

    static let prefix: [String: [Candidate]] = {
        var table: [String: [Candidate]] = [:]
        for t in arithmetic + [.interval] {
            table["-", default: []].append(Candidate(left: nil, right: t, result: t, operation: .negate))
        }
        for t in arithmetic {
            table["+", default: []].append(Candidate(left: nil, right: t, result: t, operation: .identity))
        }
        return table
    }()

    /// Outcome of resolution.
    enum Resolution {
        case found(Candidate)
        case none
        case ambiguous
    }

    /// PostgreSQL's `oper_select_candidate` over `candidates` for argument types `inputs`
    /// (one element for prefix operators).
    static func resolve(_ candidates: [Candidate], inputs: [SQLType]) -> Resolution {
        func types(_ c: Candidate) -> [SQLType] { c.left.map { [$0, c.right] } ?? [c.right] }
        let known = inputs.filter { !$0.isUnknown }
        // Exact match, assuming an unknown input has the other input's type.
        let assumed = inputs.map { $0.isUnknown && known.count == 1 && inputs.count == 2 ? known[0] : $0 }
        if let exact = candidates.first(where: { types($0) == assumed }) { return .found(exact) }
        var viable = candidates.filter { c in zip(inputs, types(c)).allSatisfy { $0.coercesImplicitly(to: $1) } }
        if viable.count <= 1 { return viable.first.map(Resolution.found) ?? .none }
        func keepMax(_ score: (Candidate) -> Int) {
            let best = viable.map(score).max() ?? 0
            viable = viable.filter { score($0) == best }
        }
        keepMax { c in zip(inputs, types(c)).filter { !$0.isUnknown && $0 == $1 }.count }
        if viable.count == 1 { return .found(viable[0]) }
        keepMax { c in
            zip(inputs, types(c)).filter { !$0.isUnknown && $0 != $1 && $1.isPreferred && $0.category == $1.category }.count
        }
        if viable.count == 1 { return .found(viable[0]) }
        if known.count < inputs.count {
            // Unknown inputs: pick the category the candidates agree on (string wins); on a
            // conflict fall through to the "all known inputs have one type" heuristic.
            var narrowed = viable
            var resolved = true
            for position in inputs.indices where inputs[position].isUnknown {
                let categories = narrowed.map { types($0)[position].category }
                let chosen: SQLType.Category
                if categories.contains(.string) {
                    chosen = .string
                } else if let first = categories.first, categories.allSatisfy({ $0 == first }) {
                    chosen = first
                } else {
                    resolved = false
                    break
                }
                narrowed = narrowed.filter { types($0)[position].category == chosen }
                if narrowed.contains(where: { types($0)[position].isPreferred }) {
                    narrowed = narrowed.filter { types($0)[position].isPreferred }
                }
            }
            if resolved && !narrowed.isEmpty { viable = narrowed }
            if viable.count == 1 { return .found(viable[0]) }
            if let first = known.first, known.allSatisfy({ $0 == first }) {
                let accepting = viable.filter { c in
                    zip(inputs, types(c)).allSatisfy { input, type in !input.isUnknown || first.coercesImplicitly(to: type) }
                }
                if accepting.count == 1 { return .found(accepting[0]) }
            }
        }
        return .ambiguous
    }
}
