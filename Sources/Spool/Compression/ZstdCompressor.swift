import CZstd

/// One-shot zstd compression with a reusable compression context.
///
/// Each call produces one complete zstd frame (with its content size recorded) from one input
/// buffer. Reusing the `ZSTD_CCtx` avoids re-allocating zstd's working memory (up to
/// several MiB, depending on the level) for every block.
///
/// - Important: not `Sendable`. A `ZSTD_CCtx` must only be used by one thread at a time, so each
///   writer owns its own compressor. The context is freed in `deinit`.
public final class ZstdCompressor {
    /// Owned; created in `init`, freed in `deinit`, never shared.
    private let context: OpaquePointer

    /// The spool's level. On pgoutput data level 1 compresses as well as zstd's own default (3)
    /// or slightly better: `bench/e2e`'s routing load made a 5.3 MB spool at level 1 and 5.7 MB at
    /// 3, and `bench/ingest`'s workload a 25.3 MB at level 1. It costs ingest about a sixth less
    /// CPU (medians over nine drains of that load: 0.43 s against 0.51 s), which on two cores
    /// is CPU the walsender and router get instead.
    public static let defaultLevel = 1

    public init() throws(ZstdError) {
        guard let context = ZSTD_createCCtx() else {
            throw ZstdError(operation: "ZSTD_createCCtx", message: "out of memory")
        }
        self.context = context
    }

    deinit {
        ZSTD_freeCCtx(context)
    }

    /// The largest compressed size `count` input bytes can produce (`ZSTD_compressBound`).
    public static func compressBound(_ count: Int) -> Int {
        ZSTD_compressBound(count)
    }

    /// Compresses `input` into `destination`, which must hold at least ``compressBound(_:)`` bytes.
    ///
    /// - Returns: the number of bytes written to the start of `destination`.
    public func compress(_ input: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer, level: Int = defaultLevel)
        throws(ZstdError) -> Int
    {
        let written = ZSTD_compressCCtx(
            context,
            destination.baseAddress,
            destination.count,
            input.baseAddress,
            input.count,
            Int32(clamping: level)
        )
        return try ZstdError.check(written, "ZSTD_compressCCtx")
    }

    /// Compresses `input` into a new array holding exactly one zstd frame.
    public func compress(_ input: UnsafeRawBufferPointer, level: Int = defaultLevel) throws(ZstdError) -> [UInt8] {
        let bound = Self.compressBound(input.count)
        var failure: ZstdError?
        let output = [UInt8](unsafeUninitializedCapacity: bound) { buffer, count in
            do throws(ZstdError) {
                count = try compress(input, into: UnsafeMutableRawBufferPointer(buffer), level: level)
            } catch {
                failure = error
                count = 0
            }
        }
        if let failure { throw failure }
        return output
    }

    /// Compresses an array into a new array holding exactly one zstd frame.
    public func compress(_ input: [UInt8], level: Int = defaultLevel) throws(ZstdError) -> [UInt8] {
        let result = input.withUnsafeBytes { raw in
            Result { () throws(ZstdError) -> [UInt8] in try compress(raw, level: level) }
        }
        return try result.get()
    }
}
