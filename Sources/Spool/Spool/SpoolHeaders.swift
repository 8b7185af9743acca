import ConduitCore

/// The decoded 32-byte segment header; layout in ``SpoolFormat``.
struct SpoolSegmentHeader: Hashable, Sendable {
    var base: LSN
    var previousCommitEnd: LSN?

    func encoded() -> [UInt8] {
        var bytes = SpoolFormat.segmentMagic
        bytes.appendInteger(SpoolFormat.version, .bigEndian)
        bytes.appendInteger(base.value, .bigEndian)
        bytes.appendInteger(previousCommitEnd?.value ?? 0, .bigEndian)
        bytes.appendInteger(CRC32C.checksum(bytes), .bigEndian)
        return bytes
    }

    /// Decodes and validates a header; the error string says what is wrong.
    static func decode(_ bytes: [UInt8]) -> Result<SpoolSegmentHeader, HeaderProblem> {
        guard bytes.count >= SpoolFormat.segmentHeaderSize else {
            return .failure(HeaderProblem("only \(bytes.count) of \(SpoolFormat.segmentHeaderSize) header bytes present"))
        }
        guard Array(bytes[0..<8]) == SpoolFormat.segmentMagic else {
            return .failure(HeaderProblem("bad magic (not a spool segment)"))
        }
        let crc = bytes.loadInteger(UInt32.self, at: 28, .bigEndian)
        guard crc == CRC32C.checksum(bytes[0..<28]) else {
            return .failure(HeaderProblem("header checksum mismatch"))
        }
        let version = bytes.loadInteger(UInt32.self, at: 8, .bigEndian)
        guard version == SpoolFormat.version else {
            return .failure(HeaderProblem("unsupported format version \(version) (this build reads \(SpoolFormat.version))"))
        }
        let previous = bytes.loadInteger(UInt64.self, at: 20, .bigEndian)
        return .success(
            SpoolSegmentHeader(base: LSN(bytes.loadInteger(UInt64.self, at: 12, .bigEndian)), previousCommitEnd: previous == 0 ? nil : LSN(previous))
        )
    }
}

/// Why a header was rejected.
struct HeaderProblem: Error {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}

/// The decoded 32-byte frame header; layout in ``SpoolFormat``.
struct SpoolFrameHeader: Hashable, Sendable {
    var compressedLength: Int
    var uncompressedLength: Int
    var recordCount: Int
    var flags: SpoolFrameFlags
    var lastCommitEnd: LSN?
    var checksum: UInt32

    var totalSize: Int { SpoolFormat.frameHeaderSize + compressedLength }

    /// Writes the header, without its checksum field, into the first 28 bytes of `buffer`.
    func storeWithoutChecksum(into buffer: UnsafeMutableRawBufferPointer) {
        buffer.storeInteger(SpoolFormat.frameMagic, at: 0, .bigEndian)
        buffer.storeInteger(UInt32(compressedLength), at: 4, .bigEndian)
        buffer.storeInteger(UInt32(uncompressedLength), at: 8, .bigEndian)
        buffer.storeInteger(UInt32(recordCount), at: 12, .bigEndian)
        buffer.storeInteger(flags.rawValue, at: 16, .bigEndian)
        buffer.storeInteger(UInt8(0), at: 17, .bigEndian)
        buffer.storeInteger(UInt16(0), at: 18, .bigEndian)
        buffer.storeInteger(lastCommitEnd?.value ?? 0, at: 20, .bigEndian)
    }

    /// Decodes the 32 header bytes and checks everything that can be checked without the payload.
    static func decode(_ bytes: UnsafeRawBufferPointer) -> Result<SpoolFrameHeader, HeaderProblem> {
        precondition(bytes.count >= SpoolFormat.frameHeaderSize, "caller reads a whole frame header")
        guard bytes.loadInteger(UInt32.self, at: 0, .bigEndian) == SpoolFormat.frameMagic else {
            return .failure(HeaderProblem("bad frame magic"))
        }
        let flags = SpoolFrameFlags(rawValue: bytes.loadInteger(UInt8.self, at: 16, .bigEndian))
        guard SpoolFrameFlags.known.isSuperset(of: flags),
            bytes.loadInteger(UInt8.self, at: 17, .bigEndian) == 0, bytes.loadInteger(UInt16.self, at: 18, .bigEndian) == 0
        else {
            return .failure(HeaderProblem("unknown frame flags or non-zero reserved bytes"))
        }
        let compressed = Int(bytes.loadInteger(UInt32.self, at: 4, .bigEndian))
        let uncompressed = Int(bytes.loadInteger(UInt32.self, at: 8, .bigEndian))
        let count = Int(bytes.loadInteger(UInt32.self, at: 12, .bigEndian))
        guard uncompressed <= SpoolFormat.maxUncompressedFrameSize, compressed > 0,
            compressed <= ZstdCompressor.compressBound(uncompressed),
            count * SpoolFormat.recordHeaderSize <= uncompressed
        else {
            return .failure(HeaderProblem("implausible frame lengths (compressed \(compressed), uncompressed \(uncompressed), records \(count))"))
        }
        let commitEnd = bytes.loadInteger(UInt64.self, at: 20, .bigEndian)
        return .success(
            SpoolFrameHeader(
                compressedLength: compressed,
                uncompressedLength: uncompressed,
                recordCount: count,
                flags: flags,
                lastCommitEnd: commitEnd == 0 ? nil : LSN(commitEnd),
                checksum: bytes.loadInteger(UInt32.self, at: 28, .bigEndian)
            )
        )
    }
}
