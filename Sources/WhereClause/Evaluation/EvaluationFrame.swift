/// What one evaluation of a clause works with: the row's parsed column values, and the work it
/// may still do (``WhereClauseLimits/maxRowWork``).
///
/// Passed by value to every compiled node and to the ``Evaluator``: two pointers to storage
/// the caller owns for the duration of one row (or, in the ``ConstantFolder``, of one compile).
struct EvaluationFrame {
    /// The row's column values by slot.
    let slots: UnsafeMutableBufferPointer<Value>
    /// Work units left; an operation that would take it below zero fails the evaluation.
    let work: UnsafeMutablePointer<Int>

    /// Takes `units` (``WorkCost``) from the budget.
    /// - Throws: ``WhereClauseError/workLimitExceeded(_:)`` when the budget is spent.
    @inline(__always)
    func charge(_ units: Int, limit: Int) throws(WhereClauseError) {
        work.pointee -= units
        if work.pointee < 0 { throw .workLimitExceeded(limit) }
    }
}
