import ConduitCore

/// The decoded 32-byte segment header; layout in ``SpoolFormat``.
struct SpoolSegmentHeader: Hashable, Sendable {
    var base: LSN
    var previousCommitEnd: LSN?

    func encoded() -> [UInt8] {
        var bytes = SpoolFormat.segmentMagic
        bytes.spoolAppendBigEndian(SpoolFormat.version)
        bytes.spoolAppendBigEndian(base.value)
        bytes.spoolAppendBigEndian(previousCommitEnd?.value ?? 0)
        bytes.spoolAppendBigEndian(CRC32C.checksum(bytes))
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
        let crc = bytes.spoolLoadBigEndian(UInt32.self, at: 28)
        guard crc == CRC32C.checksum(bytes[0..<28]) else {
            return .failure(HeaderProblem("header checksum mismatch"))
        }
        let version = bytes.spoolLoadBigEndian(UInt32.self, at: 8)
        guard version == SpoolFormat.version else {
            return .failure(HeaderProblem("unsupported format version \(version) (this build reads \(SpoolFormat.version))"))
        }
        let previous = bytes.spoolLoadBigEndian(UInt64.self, at: 20)
        return .success(
            SpoolSegmentHeader(base: LSN(bytes.spoolLoadBigEndian(UInt64.self, at: 12)), previousCommitEnd: previous == 0 ? nil : LSN(previous))
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
        buffer.spoolStoreBigEndian(SpoolFormat.frameMagic, at: 0)
        buffer.spoolStoreBigEndian(UInt32(compressedLength), at: 4)
        buffer.spoolStoreBigEndian(UInt32(uncompressedLength), at: 8)
        buffer.spoolStoreBigEndian(UInt32(recordCount), at: 12)
        buffer.spoolStoreBigEndian(flags.rawValue, at: 16)
        buffer.spoolStoreBigEndian(UInt8(0), at: 17)
        buffer.spoolStoreBigEndian(UInt16(0), at: 18)
        buffer.spoolStoreBigEndian(lastCommitEnd?.value ?? 0, at: 20)
    }

    /// Decodes the 32 header bytes and checks everything that can be checked without the payload.
    static func decode(_ bytes: UnsafeRawBufferPointer) -> Result<SpoolFrameHeader, HeaderProblem> {
        precondition(bytes.count >= SpoolFormat.frameHeaderSize, "caller reads a whole frame header")
        guard bytes.spoolLoadBigEndian(UInt32.self, at: 0) == SpoolFormat.frameMagic else {
            return .failure(HeaderProblem("bad frame magic"))
        }
        let flags = SpoolFrameFlags(rawValue: bytes.spoolLoadBigEndian(UInt8.self, at: 16))
        guard SpoolFrameFlags.known.isSuperset(of: flags),
            bytes.spoolLoadBigEndian(UInt8.self, at: 17) == 0, bytes.spoolLoadBigEndian(UInt16.self, at: 18) == 0
        else {
            return .failure(HeaderProblem("unknown frame flags or non-zero reserved bytes"))
        }
        let compressed = Int(bytes.spoolLoadBigEndian(UInt32.self, at: 4))
        let uncompressed = Int(bytes.spoolLoadBigEndian(UInt32.self, at: 8))
        let count = Int(bytes.spoolLoadBigEndian(UInt32.self, at: 12))
        guard uncompressed <= SpoolFormat.maxUncompressedFrameSize, compressed > 0,
            compressed <= ZstdCompressor.compressBound(uncompressed),
            count * SpoolFormat.recordHeaderSize <= uncompressed
        else {
            return .failure(HeaderProblem("implausible frame lengths (compressed \(compressed), uncompressed \(uncompressed), records \(count))"))
        }
        let commitEnd = bytes.spoolLoadBigEndian(UInt64.self, at: 20)
        return .success(
            SpoolFrameHeader(
                compressedLength: compressed,
                uncompressedLength: uncompressed,
                recordCount: count,
                flags: flags,
                lastCommitEnd: commitEnd == 0 ? nil : LSN(commitEnd),
                checksum: bytes.spoolLoadBigEndian(UInt32.self, at: 28)
            )
        )
    }
}

extension Array where Element == UInt8 {
    @inline(__always)
    mutating func spoolAppendBigEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }

    @inline(__always)
    func spoolLoadBigEndian<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        withUnsafeBytes { $0.spoolLoadBigEndian(T.self, at: offset) }
    }
}

extension UnsafeRawBufferPointer {
    @inline(__always)
    func spoolLoadBigEndian<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        T(bigEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}

extension UnsafeMutableRawBufferPointer {
    @inline(__always)
    func spoolStoreBigEndian<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        storeBytes(of: value.bigEndian, toByteOffset: offset, as: T.self)
    }
}
