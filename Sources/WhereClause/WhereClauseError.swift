/// The one error type of the where-clause engine.
///
/// Compile-time errors (syntax, unknown references, type errors, invalid literals) carry the
/// 0-based character (Unicode scalar) offset of the offending token in the where string and
/// render as `At location <n>: <reason>`, the format Electric uses in its 400 responses.
/// Errors without a location (`WHERE clause must return a boolean`, parameter-key errors)
/// render as the bare reason.
///
/// Evaluation errors (integer overflow, division by zero, invalid input in a cast of a column
/// value) have no location; the evaluator turns them into "row is not in the shape".
public struct WhereClauseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public enum Kind: Hashable, Sendable {
        /// The where string could not be parsed or type checked.
        case compile
        /// A row could not be evaluated (overflow, division by zero, bad input in a cast).
        case evaluation
        /// The params map is malformed.
        case parameters
        /// Evaluating a row would exceed ``WhereClauseLimits/maxRowWork``: the clause is too
        /// costly to evaluate for every replicated row (at compile time, folding constants, it
        /// is a `.compile` error instead).
        case workLimit
    }

    /// What kind of failure this is.
    public var kind: Kind
    /// 0-based character offset in the where string, when the error is tied to a token.
    public var location: Int?
    /// The reason without the location prefix.
    public var reason: String

    /// Creates an error.
    public init(_ kind: Kind, location: Int?, reason: String) {
        self.kind = kind
        self.location = location
        self.reason = reason
    }

    /// `At location <n>: <reason>`, or the bare reason when there is no location.
    public var message: String {
        guard let location else { return reason }
        return "At location \(location): \(reason)"
    }

    public var description: String { message }

    static func compile(_ location: Int?, _ reason: String) -> WhereClauseError {
        WhereClauseError(.compile, location: location, reason: reason)
    }

    static func evaluation(_ reason: String) -> WhereClauseError {
        WhereClauseError(.evaluation, location: nil, reason: reason)
    }

    /// A node reached a method for another kind: a bug in a dispatcher, never user input.
    static let internalError = evaluation("internal error: unexpected expression node")

    static let integerOutOfRange = evaluation("integer out of range")
    static let smallintOutOfRange = evaluation("smallint out of range")
    static let bigintOutOfRange = evaluation("bigint out of range")
    static let divisionByZero = evaluation("division by zero")
}
