import TestSupport
import Testing

@testable import Spool

struct ZstdTests {
    @Test(arguments: [0, 1, 100, 1 << 20])
    func roundTrip(size: Int) throws {
        var generator = SeededTestRandom(seed: UInt64(size))
        let words = ["INSERT", "public", "items", "id", "title", "2026-11-27", "t", "n"]
        var input: [UInt8] = []
        while input.count < size {
            input += Array(words.randomElement(using: &generator)!.utf8)
        }
        input = Array(input.prefix(size))
        let compressor = try ZstdCompressor()
        let decompressor = try ZstdDecompressor()
        for level in [1, 3, 9] {
            let compressed = try compressor.compress(input, level: level)
            #expect(try decompressor.decompress(compressed, uncompressedSize: input.count) == input)
        }
        if size >= 100 {
            #expect(try compressor.compress(input).count < input.count)
        }
    }

    @Test func corruptInputThrowsWithZstdsErrorName() throws {
        let decompressor = try ZstdDecompressor()
        #expect {
            try decompressor.decompress([1, 2, 3, 4, 5, 6, 7, 8, 9], uncompressedSize: 10)
        } throws: { error in
            let zstd = error as? ZstdError
            // The message is zstd's own ZSTD_getErrorName text (here "Src size is incorrect").
            return zstd?.operation == "ZSTD_decompressDCtx" && zstd?.message.isEmpty == false
                && zstd?.description.hasPrefix("ZSTD_decompressDCtx failed: ") == true
        }
    }

    @Test func wrongUncompressedSizeThrows() throws {
        let compressor = try ZstdCompressor()
        let decompressor = try ZstdDecompressor()
        let compressed = try compressor.compress(Array(repeating: 7, count: 1000))
        #expect(throws: ZstdError.self) { try decompressor.decompress(compressed, uncompressedSize: 999) }
        #expect(throws: ZstdError.self) { try decompressor.decompress(compressed, uncompressedSize: 1001) }
    }

    @Test func contextsAreReusableAcrossManyCalls() throws {
        let compressor = try ZstdCompressor()
        let decompressor = try ZstdDecompressor()
        for round in 0..<200 {
            let input = [UInt8](repeating: UInt8(truncatingIfNeeded: round), count: round * 10)
            let compressed = try compressor.compress(input)
            #expect(try decompressor.decompress(compressed, uncompressedSize: input.count) == input)
        }
    }
}
