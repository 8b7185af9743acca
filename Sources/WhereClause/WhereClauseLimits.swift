/// Bounds on the work one where clause may cause, at compile time and per evaluated row.
///
/// The router compiles every client's `where` parameter (from the open internet) and evaluates
/// it for every replicated row on its single routing loop, so a clause must never make it spin
/// or allocate without bound: `id > 0.5::numeric ^ 2147483647` once computed an astronomically
/// large exact numeric. Each limit fails with a ``WhereClauseError`` that names it, in the
/// spirit of PostgreSQL's own `stack depth limit exceeded` and `value overflows numeric
/// format`: kind `.compile` (HTTP 400) while compiling and constant folding, kind
/// `.evaluation` (the row is not in the shape) while evaluating a row.
///
/// `numeric` results are bounded by PostgreSQL's own format, not by a setting: at most
/// ``Numeric/maxIntegerDigits`` digits before the decimal point and ``Numeric/maxScale``
/// after, estimated from the operands before computing.
///
/// The defaults admit any clause an honest client writes (a few KB, IN lists of thousands of
/// ids) and keep the worst case to milliseconds; ``maxDepth`` is chosen so that a maximally
/// deep clause compiles and evaluates within a 512 KiB thread stack even in a debug build.
public struct WhereClauseLimits: Sendable, Hashable {
    /// Longest where clause in UTF-8 bytes; also the most bytes all parameter values may
    /// have together. `where clause is too long (70000 bytes; the limit is 65536)`.
    public var maxLength: Int
    /// Deepest nesting of sub-expressions: parentheses, prefix operators (`NOT`, `-`),
    /// chains of binary operators (`1 + 1 + …`, `::` casts, `[ ]` subscripts), function calls
    /// and `ARRAY[...]` levels. `AND`/`OR` chains are flat and do not count.
    /// `At location 120: expression nesting too deep (the limit is 64)`.
    public var maxDepth: Int
    /// Most syntax nodes (literals, references, operators, calls, …) in one clause.
    /// `where clause is too complex (20001 syntax nodes; the limit is 20000)`.
    public var maxNodes: Int
    /// Most items in one `IN (...)` list. `At location 5: IN list has 10001 items; the limit is 10000`.
    public var maxListItems: Int
    /// Most elements in one `ARRAY[...]` constructor or array literal (`'{1,2}'`, a
    /// parameter typed as an array). `At location 5: ARRAY has 10001 elements; the limit is 10000`.
    public var maxArrayElements: Int
    /// Most parameters a request may give, and the highest `$n` a clause may reference.
    /// Generous, like ``maxListItems``: clients that bind every literal (`id IN ($1, …)`)
    /// use hundreds, and their bytes are bounded by ``maxLength`` anyway.
    /// `too many parameters (10001; the limit is 10000)`.
    public var maxParameters: Int
    /// Largest text a `||`, `concat` or other text-building operation may produce, in UTF-8
    /// bytes; array-building operations (`||`, `array_cat`, `array_append`, `ARRAY[...]`) may
    /// produce at most `maxResultBytes / 16` elements.
    /// `text result too long (2000000 bytes; the limit is 1048576)`.
    public var maxResultBytes: Int
    /// Most digits (before and after the point together) a `numeric` result may have, unless
    /// an operand already has more (a row's value): PostgreSQL's format allows 147455, but
    /// converting such a value to text costs time quadratic in its length, and declared
    /// `numeric(p, s)` columns have at most 1000. `numeric result too large (about 301031
    /// digits; the limit is 4096)`.
    public var maxNumericDigits: Int
    /// Most work units (``WorkCost``: about one per operation, the product of the digit counts
    /// for `numeric` arithmetic on large values) evaluating one row may take, and constant
    /// folding one clause. A row that needs more fails with kind `.workLimit`: router removes
    /// the shape and answers its definition with 400 for a while. `where clause needs too much
    /// work to evaluate a row (more than 20000000 units; …)`.
    public var maxRowWork: Int

    /// The default limits (see each property).
    public static let `default` = WhereClauseLimits()

    /// Limits with the given values; every omitted one takes its default.
    public init(
        maxLength: Int = 65_536, maxDepth: Int = 64, maxNodes: Int = 20_000, maxListItems: Int = 10_000,
        maxArrayElements: Int = 10_000, maxParameters: Int = 10_000, maxResultBytes: Int = 1 << 20,
        maxNumericDigits: Int = 4096, maxRowWork: Int = 20_000_000
    ) {
        self.maxLength = maxLength
        self.maxDepth = maxDepth
        self.maxNodes = maxNodes
        self.maxListItems = maxListItems
        self.maxArrayElements = maxArrayElements
        self.maxParameters = maxParameters
        self.maxResultBytes = maxResultBytes
        self.maxNumericDigits = maxNumericDigits
        self.maxRowWork = maxRowWork
    }

    /// Bytes an array element counts as against ``maxResultBytes`` (a ``Value`` in memory).
    static let bytesPerArrayElement = 16

    /// Most elements an array-building operation may produce.
    var maxResultElements: Int { maxResultBytes / WhereClauseLimits.bytesPerArrayElement }
}

extension WhereClauseLimits {
    /// The checks that need no parsing: the clause's length, and the number and total
    /// length of the parameters.
    func checkRequest(_ text: String, params: [Int: String]) throws(WhereClauseError) {
        let bytes = text.utf8.count
        guard bytes <= maxLength else { throw .tooLong(bytes, limit: maxLength) }
        guard params.count <= maxParameters else { throw .tooManyParameters(params.count, limit: maxParameters) }
        let parameterBytes = params.values.reduce(0) { $0 + $1.utf8.count }
        guard parameterBytes <= maxLength else { throw .parametersTooLong(parameterBytes, limit: maxLength) }
        // PostgreSQL text cannot hold a NUL byte: it refuses one in a query or a bind parameter.
        // Refused here, before a catalog or snapshot worker is asked for anything (the snapshot's
        // quoting, `escapeLiteral`, refuses it too: libpq's would stop at it).
        guard !text.utf8.contains(0), !params.values.contains(where: { $0.utf8.contains(0) }) else { throw .nulByte }
    }
}
