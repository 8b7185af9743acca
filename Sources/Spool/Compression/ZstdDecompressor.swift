import CZstd

/// One-shot zstd decompression with a reusable decompression context.
///
/// The caller states the uncompressed size (the spool stores it in each frame header), so the
/// output is allocated once at its exact size and a frame that decompresses to any other size is
/// reported as an error rather than trusted.
///
/// - Important: not `Sendable`; a `ZSTD_DCtx` must only be used by one thread at a time. Freed in `deinit`.
public final class ZstdDecompressor {
    /// Owned; created in `init`, freed in `deinit`, never shared.
    private let context: OpaquePointer

    public init() throws(ZstdError) {
        guard let context = ZSTD_createDCtx() else {
            throw ZstdError(operation: "ZSTD_createDCtx", message: "out of memory")
        }
        self.context = context
    }

    deinit {
        ZSTD_freeDCtx(context)
    }

    /// Decompresses one zstd frame into `destination`, which must be exactly the uncompressed size.
    ///
    /// - Throws: ``ZstdError`` if zstd reports an error or the frame's size is not `destination.count`.
    public func decompress(_ input: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer) throws(ZstdError) {
        let written = try ZstdError.check(
            ZSTD_decompressDCtx(context, destination.baseAddress, destination.count, input.baseAddress, input.count),
            "ZSTD_decompressDCtx"
        )
        guard written == destination.count else {
            throw ZstdError(
                operation: "ZSTD_decompressDCtx",
                message: "frame decompressed to \(written) bytes, expected \(destination.count)"
            )
        }
    }

    /// Decompresses one zstd frame whose uncompressed size is known into a new array of that size.
    public func decompress(_ input: UnsafeRawBufferPointer, uncompressedSize: Int) throws(ZstdError) -> [UInt8] {
        guard uncompressedSize >= 0 else {
            throw ZstdError(operation: "decompress", message: "negative uncompressed size \(uncompressedSize)")
        }
        var failure: ZstdError?
        let output = [UInt8](unsafeUninitializedCapacity: uncompressedSize) { buffer, count in
            do throws(ZstdError) {
                try decompress(input, into: UnsafeMutableRawBufferPointer(buffer))
                count = uncompressedSize
            } catch {
                failure = error
                count = 0
            }
        }
        if let failure { throw failure }
        return output
    }

    /// Decompresses an array holding one zstd frame whose uncompressed size is known.
    public func decompress(_ input: [UInt8], uncompressedSize: Int) throws(ZstdError) -> [UInt8] {
        let result = input.withUnsafeBytes { raw in
            Result { () throws(ZstdError) -> [UInt8] in try decompress(raw, uncompressedSize: uncompressedSize) }
        }
        return try result.get()
    }
}
