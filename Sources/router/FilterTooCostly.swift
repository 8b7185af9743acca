import ConduitCore

/// A shape's where clause needed more work for one row than a clause may take
/// (`WhereClauseLimits.maxRowWork`, checked from the operands' sizes before each costly
/// operation runs).
///
/// Not an answer about the row (PostgreSQL would evaluate it, slowly), so the shape cannot go on
/// without it: router removes the shape and answers its definition with 400 and this reason for
/// a while (``RefusedDefinitions``), instead of spending seconds per row on its loop, which would
/// hold back every shape.
struct FilterTooCostly: Error, CustomStringConvertible {
    /// The where-clause engine's message, for the client and the log.
    let reason: String

    var description: String { reason }

    /// The answer to requests for the shape's definition.
    var rejection: ShapeRejection { .invalid(field: "where", message: reason) }
}
