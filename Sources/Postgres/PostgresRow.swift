import CLibPQ

/// One row of a streamed query, read in place from libpq's result (text format): valid only
/// inside the `onRow` callback of ``PostgresConnection/queryRows(_:parameters:onRow:)``.
///
/// Reading values as bytes where they lie costs no allocation per value; a snapshot of a
/// million rows spent more in building `String`s than in everything else (issue 11).
public struct PostgresRow {
    private let result: OpaquePointer
    /// Number of columns.
    public let count: Int

    init(_ result: OpaquePointer, count: Int) {
        self.result = result
        self.count = count
    }

    /// Calls `body` with column `column`'s text bytes, or nil for SQL NULL. The bytes are
    /// libpq's: do not keep them past `body`.
    @inlinable
    public func withValue<R>(at column: Int, _ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R {
        try body(bytes(at: column))
    }

    @usableFromInline
    func bytes(at column: Int) -> UnsafeRawBufferPointer? {
        if PQgetisnull(result, 0, Int32(column)) == 1 { return nil }
        let length = Int(PQgetlength(result, 0, Int32(column)))
        return UnsafeRawBufferPointer(start: PQgetvalue(result, 0, Int32(column)), count: length)
    }

    /// Every value copied out as a `String` (nil for NULL).
    public var values: [String?] { PostgresResult.row(result, 0, columnCount: count) }
}
