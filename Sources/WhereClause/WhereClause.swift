/// A compiled, type-checked where clause: compile once per shape, evaluate per row.
///
/// ```swift
/// let clause = try WhereClause.compile("status = $1 AND amount > 10", columns: columns, params: [1: "open"])
/// clause.evaluate(row: ["status": "open", "amount": "12"])   // true
/// let (sql, binds) = clause.sql()                            // for a query with bind parameters
/// let copySQL = try clause.sql(quotingConstantsWith: quote)   // for the snapshot's COPY
/// ```
///
/// Semantics follow PostgreSQL 15 (protocol §10) with the session settings Conduit uses
/// (`DateStyle=ISO`, `TimeZone=UTC`, `IntervalStyle=iso_8601`, `extra_float_digits=1`):
/// operator resolution and implicit casts, three-valued logic, constant folding (including
/// which errors the planner's folding and AND/OR short-circuiting hide), exact `numeric`,
/// float NaN/±Infinity ordering, bpchar padding rules, array text format and NULL rules.
/// A differential test checks all of this against a live PostgreSQL.
///
/// Known differences from PostgreSQL:
/// - Text ordering is by UTF-8 bytes (the C collation); ``sql(firstParameterIndex:)`` therefore
///   adds `COLLATE "C"` to text ordering comparisons so the snapshot agrees with the evaluator.
/// - `lower`, `upper` and `ILIKE` map case per Unicode scalar (like a UTF-8 libc locale), not per
///   the database's collation; a C-locale database only folds ASCII.
/// - `numeric ^ numeric` with a non-integer exponent is computed in double precision (16
///   significant digits); integer exponents are exact like PostgreSQL's `power_var_int`.
/// - `interval / float8` results outside the interval range are an error (PostgreSQL 15 does
///   not check them and returns platform-dependent values).
/// - Date/time input accepts ISO forms only (`2024-01-31`, `2024-01-31 12:00[:00.5][+02]`,
///   `infinity`, `epoch`), not `Jan 31 2024` or `today`; array bounds decorations are parsed
///   but not kept; type modifiers (`varchar(10)`, `numeric(10,2)`) are rejected.
/// - Error locations are offsets in Unicode scalars (equal to PostgreSQL's byte offsets for
///   ASCII where strings).
public struct WhereClause: Sendable {
    /// The where string as given.
    public let text: String
    /// The columns the clause references, in evaluation-slot order: the order of values for
    /// ``evaluate(values:)``.
    public let referencedColumns: [WhereColumn]
    let program: EvaluationProgram
    var root: BoundExpression { program.root }

    /// Parses, type checks and constant-folds a where clause.
    ///
    /// - Parameters:
    ///   - text: the `where` request parameter.
    ///   - columns: the table's columns.
    ///   - params: positional parameters (`$1` → `params[1]`), already validated by
    ///     ``validateParamKeys(_:)``. Each behaves like a string literal typed by context.
    ///   - limits: bounds on the work the clause may cause, while compiling and for each
    ///     evaluated row (see ``WhereClauseLimits``).
    /// - Throws: ``WhereClauseError`` (kind `.compile`) whose ``WhereClauseError/message`` is
    ///   the text for the 400 response, e.g. `At location 0: unknown reference foo`, or
    ///   `where clause is too long (70000 bytes; the limit is 65536)` for a limit.
    public static func compile(
        _ text: String, columns: [WhereColumn], params: [Int: String] = [:], limits: WhereClauseLimits = .default
    ) throws(WhereClauseError) -> WhereClause {
        let (syntax, checker) = try check(text, columns: columns, params: params, limits: limits)
        var typing = checker
        let bound = try ConstantFolder(limits: limits).fold(try typing.checkCondition(syntax))
        let clause = WhereClause(text: text, referencedColumns: typing.referenced, root: bound, limits: limits)
        try clause.program.checkCheapestRow()
        return clause
    }

    /// Compiles an expression of any type (not only boolean) — for tests that compare the
    /// text of arbitrary expressions with PostgreSQL's.
    static func compileExpression(
        _ text: String, columns: [WhereColumn], params: [Int: String] = [:], limits: WhereClauseLimits = .default
    ) throws(WhereClauseError) -> WhereClause {
        let (syntax, checker) = try check(text, columns: columns, params: params, limits: limits)
        var typing = checker
        var bound = try typing.check(syntax)
        if bound.type.isUnknown { bound = try typing.coerce(bound, to: .text) }
        let folded = try ConstantFolder(limits: limits).fold(bound)
        return WhereClause(text: text, referencedColumns: typing.referenced, root: folded, limits: limits)
    }

    /// The size limits on the request, then the parse: everything before type checking.
    private static func check(_ text: String, columns: [WhereColumn], params: [Int: String], limits: WhereClauseLimits)
        throws(WhereClauseError) -> (SyntaxNode, TypeChecker)
    {
        try limits.checkRequest(text, params: params)
        let syntax = try Parser.parse(text, limits: limits)
        return (syntax, TypeChecker(columns: columns, parameters: params, limits: limits))
    }

    init(text: String, referencedColumns: [WhereColumn], root: BoundExpression, limits: WhereClauseLimits = .default) {
        self.text = text
        self.referencedColumns = referencedColumns
        self.program = EvaluationProgram(root: root, columns: referencedColumns, limits: limits)
    }

    /// True only when the clause is SQL TRUE for the row. NULL (unknown) and evaluation
    /// errors (integer overflow, division by zero, invalid text in a cast) mean the row is not
    /// in the shape; PostgreSQL would fail the statement for the latter, so such rows can
    /// never be part of a snapshot either.
    public func evaluate(row: some WhereRow) -> Bool {
        (try? program.run(row: row)) == true
    }

    /// The SQL result: `true`, `false`, or `nil` for NULL.
    /// - Throws: ``WhereClauseError`` (kind `.evaluation`) when PostgreSQL would raise an
    ///   error evaluating this row, or when a column's text is not valid for its type.
    public func evaluateTristate(row: some WhereRow) throws(WhereClauseError) -> Bool? {
        try program.run(row: row)
    }

    /// Like ``evaluate(row:)`` with the texts of ``referencedColumns`` in order (nil is NULL):
    /// the fastest path, for callers that map column positions once per relation.
    public func evaluate(values: [String?]) -> Bool {
        (try? program.run(values: values)) == true
    }

    /// Like ``evaluate(values:)``, except that a row whose evaluation exceeds
    /// ``WhereClauseLimits/maxRowWork`` is not quietly left out: that is not PostgreSQL's answer
    /// for the row, so the caller must stop using the clause.
    /// - Throws: ``WhereClauseError`` of kind `.workLimit`, and only that.
    public func includes(values: [String?]) throws(WhereClauseError) -> Bool {
        do {
            return try program.run(values: values) == true
        } catch where error.kind == .workLimit {
            throw error
        } catch {
            return false
        }
    }

    /// Like ``evaluateTristate(row:)`` with the texts of ``referencedColumns`` in order.
    public func evaluateTristate(values: [String?]) throws(WhereClauseError) -> Bool? {
        try program.run(values: values)
    }

    /// The clause as SQL for a query with bind parameters (subset snapshots), with every constant
    /// (literals, parameters, folded values) as a bind parameter `$k::type` and identifiers
    /// double-quoted.
    ///
    /// - Parameter firstParameterIndex: the number of the first placeholder, for embedding
    ///   into a statement that already uses `$1…$(k-1)`.
    /// - Returns: the SQL boolean expression and the parameter values in placeholder order
    ///   (PostgreSQL text format).
    public func sql(firstParameterIndex: Int = 1) -> (sql: String, parameters: [String?]) {
        var renderer = SQLRenderer(mode: .parameters, firstParameterIndex: firstParameterIndex)
        let sql = renderer.render(root)
        return (sql, renderer.parameters)
    }

    /// The clause as SQL for a statement that cannot take bind parameters (the snapshot's
    /// `COPY`): like ``sql(firstParameterIndex:)``, with each placeholder replaced by the literal
    /// `quote` makes of its value, cast the same way (`'v'::type` for `$k::type`).
    ///
    /// - Parameter quote: turns a constant's text (PostgreSQL text format) into a string literal
    ///   that is safe in SQL text, such as libpq's `PQescapeLiteral`.
    public func sql<Failure: Error>(quotingConstantsWith quote: (String) throws(Failure) -> String) throws(Failure) -> String {
        var placeholders = SQLRenderer(mode: .parameters)
        _ = placeholders.render(root)
        var renderer = SQLRenderer(mode: .literals(try placeholders.parameters.map(quote)))
        return renderer.render(root)
    }

    /// A canonical rendering with constants inlined: equal for clauses that compile to the
    /// same typed expression (so `x = $1` with `1: "5"` and `x = 5` and `(x = '5')` agree);
    /// use it in shape identity instead of the raw text.
    public var normalized: String {
        var renderer = SQLRenderer(mode: .inline)
        return renderer.render(root)
    }

    /// The conjuncts a router can index (see ``IndexableCondition``).
    public var indexableConditions: [IndexableCondition] {
        IndexableCondition.extract(from: root)
    }

    /// The whole clause as one condition whose index hit is also sufficient: `column = constant`,
    /// `column IN (constants)` or a test of a boolean column, alone. A row is in the shape
    /// exactly when the column's text is one of the condition's values (see
    /// ``IndexableCondition/admits(_:)``), so router can decide it without running the clause.
    /// nil for anything else, array containment included.
    public var exactCondition: IndexableCondition? {
        guard let condition = IndexableCondition.condition(root) else { return nil }
        switch condition {
        case .equals, .oneOf: return condition
        case .arrayContains: return nil
        }
    }
}

/// A row as the evaluator reads it: PostgreSQL text per column.
public protocol WhereRow {
    /// The text representation of the column's value (as pgoutput or `col::text` gives it;
    /// booleans as `t`/`f`), or nil for NULL.
    func text(ofColumn name: String) -> String?
}

extension Dictionary: WhereRow where Key == String, Value == String {
    /// A missing key is NULL.
    public func text(ofColumn name: String) -> String? { self[name] }
}
