/// The errors of ``WhereClauseLimits`` and of PostgreSQL's numeric format: each names the
/// limit it hit, so a client whose clause is rejected knows what to change.
extension WhereClauseError {
    static func tooLong(_ bytes: Int, limit: Int) -> WhereClauseError {
        .compile(nil, "where clause is too long (\(bytes) bytes; the limit is \(limit))")
    }

    static func parametersTooLong(_ bytes: Int, limit: Int) -> WhereClauseError {
        .compile(nil, "parameters are too long (\(bytes) bytes; the limit is \(limit))")
    }

    static func tooManyParameters(_ count: Int, limit: Int) -> WhereClauseError {
        .compile(nil, "too many parameters (\(count); the limit is \(limit))")
    }

    static func parameterBeyondLimit(_ number: Int, at location: Int, limit: Int) -> WhereClauseError {
        .compile(location, "parameter $\(number) is beyond the limit of \(limit) parameters")
    }

    static func nestingTooDeep(at location: Int, limit: Int) -> WhereClauseError {
        .compile(location, "expression nesting too deep (the limit is \(limit))")
    }

    static func tooComplex(_ nodes: Int, limit: Int) -> WhereClauseError {
        .compile(nil, "where clause is too complex (\(nodes) syntax nodes; the limit is \(limit))")
    }

    static func listTooLong(_ items: Int, at location: Int, limit: Int) -> WhereClauseError {
        .compile(location, "IN list has \(items) items; the limit is \(limit)")
    }

    /// `what` is `ARRAY` for a constructor, `array literal` for `'{…}'` text.
    static func arrayTooLong(_ what: String, _ elements: Int, at location: Int, limit: Int) -> WhereClauseError {
        .compile(location, "\(what) has \(elements) elements; the limit is \(limit)")
    }

    static func textResultTooLong(_ bytes: Int, limit: Int) -> WhereClauseError {
        .evaluation("text result too long (\(bytes) bytes; the limit is \(limit))")
    }

    static func arrayResultTooLarge(_ elements: Int, limit: Int) -> WhereClauseError {
        .evaluation("array result too large (\(elements) elements; the limit is \(limit))")
    }

    static func numericTooLarge(_ digits: Int, limit: Int) -> WhereClauseError {
        .evaluation("numeric result too large (about \(digits) digits; the limit is \(limit))")
    }

    /// A row's evaluation would need more than ``WhereClauseLimits/maxRowWork`` units: kind
    /// `.workLimit`, since PostgreSQL would evaluate the row (slowly) and the row's answer is unknown.
    static func workLimitExceeded(_ limit: Int) -> WhereClauseError {
        WhereClauseError(
            .workLimit, location: nil,
            reason: "where clause needs too much work to evaluate a row (more than \(limit) units; "
                + "operations on numeric values of many digits cost the product of their digit counts)")
    }

    /// PostgreSQL's error for a NUL byte in a query or parameter.
    static let nulByte = WhereClauseError(.compile, location: nil, reason: "invalid byte sequence for encoding \"UTF8\": 0x00")

    /// PostgreSQL's error for a numeric beyond 131072 digits before or 16383 after the point.
    static let numericOverflow = evaluation("value overflows numeric format")
}
