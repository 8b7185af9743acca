import CZstd

/// A libzstd call failed.
///
/// Carries the operation and zstd's own error name (`ZSTD_getErrorName`), e.g.
/// "ZSTD_decompressDCtx failed: Data corruption detected".
public struct ZstdError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The libzstd function or step that failed.
    public var operation: String
    /// zstd's error name, or an explanation for failures detected on this side.
    public var message: String

    public init(operation: String, message: String) {
        self.operation = operation
        self.message = message
    }

    /// Wraps a `size_t` zstd return value that `ZSTD_isError` flagged.
    init(operation: String, code: Int) {
        self.init(operation: operation, message: String(cString: ZSTD_getErrorName(code)))
    }

    public var description: String { "\(operation) failed: \(message)" }

    /// Returns `result` unless `ZSTD_isError` says it is an error code, in which case it throws.
    @inline(__always)
    static func check(_ result: Int, _ operation: StaticString) throws(ZstdError) -> Int {
        if ZSTD_isError(result) != 0 {
            throw ZstdError(operation: "\(operation)", code: result)
        }
        return result
    }
}
