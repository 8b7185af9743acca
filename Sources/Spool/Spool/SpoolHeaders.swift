import ConduitCore

/// A decoded segment header, version 1 or 2; layouts in ``SpoolFormat``.
struct SpoolSegmentHeader: Hashable, Sendable {
    /// The segment key (base LSN, the file name).
    var base: LSN
    /// The stream position at the end of the previous segment.
    var previousCommitEnd: LSN?
    /// The previous segment's key (version 2 only).
    var previousSegment: LSN?
    /// The stream epoch (version 2 only; nil for a version-1 segment).
    var epoch: SpoolEpoch?
    /// The first frame is the epoch's stream-reset frame.
    var startsEpoch: Bool = false
    /// The header's version as stored (new headers are always ``SpoolFormat/version``).
    var version: UInt32 = SpoolFormat.version

    init(base: LSN, previousCommitEnd: LSN?, previousSegment: LSN? = nil, epoch: SpoolEpoch? = nil, startsEpoch: Bool = false) {
        self.base = base
        self.previousCommitEnd = previousCommitEnd
        self.previousSegment = previousSegment
        self.epoch = epoch
        self.startsEpoch = startsEpoch
    }

    /// Bytes the header occupies at the start of the file; frames follow.
    var size: Int {
        guard version >= 2 else { return SpoolFormat.segmentHeaderSizeV1 }
        let identity = epoch?.identity ?? .unidentified
        return SpoolFormat.segmentHeaderFixedSizeV2 + Self.clipped(identity.slot).count + Self.clipped(identity.database).count + 4
    }

    /// The stream position where the segment begins: the end of its predecessor, or for the
    /// first segment of a spool its epoch's start (nil when neither is known).
    var startPosition: LSN? {
        if let previousCommitEnd { return previousCommitEnd }
        if let start = epoch?.start, start > .zero { return start }
        return nil
    }

    /// Version-2 bytes of this header.
    func encoded() -> [UInt8] {
        let epoch = self.epoch ?? .unidentified
        let slot = Self.clipped(epoch.identity.slot)
        let database = Self.clipped(epoch.identity.database)
        var bytes = SpoolFormat.segmentMagic
        bytes.appendInteger(SpoolFormat.version, .bigEndian)
        bytes.appendInteger(UInt32(size), .bigEndian)
        bytes.appendInteger(base.value, .bigEndian)
        bytes.appendInteger(previousCommitEnd?.value ?? 0, .bigEndian)
        bytes.appendInteger(previousSegment?.value ?? 0, .bigEndian)
        bytes.appendInteger(epoch.number, .bigEndian)
        bytes.appendInteger(epoch.identity.timeline, .bigEndian)
        bytes.appendInteger(epoch.identity.systemIdentifier, .bigEndian)
        bytes.appendInteger(epoch.start.value, .bigEndian)
        bytes.append(startsEpoch ? 1 : 0)
        bytes.append(UInt8(slot.count))
        bytes += slot
        bytes.append(UInt8(database.count))
        bytes += database
        bytes.appendInteger(CRC32C.checksum(bytes), .bigEndian)
        return bytes
    }

    /// Names longer than 255 bytes are cut (PostgreSQL's identifiers are at most 63).
    private static func clipped(_ name: String) -> [UInt8] { Array(name.utf8.prefix(255)) }

    /// Decodes and validates a header from the first bytes of a segment file (at most
    /// ``SpoolFormat/maxSegmentHeaderSize`` are needed); the problem says what is wrong.
    static func decode(_ bytes: [UInt8]) -> Result<SpoolSegmentHeader, HeaderProblem> {
        guard bytes.count >= SpoolFormat.segmentHeaderSizeV1 else {
            return .failure(HeaderProblem("only \(bytes.count) header bytes present"))
        }
        guard Array(bytes[0..<8]) == SpoolFormat.segmentMagic else {
            return .failure(HeaderProblem("bad magic (not a spool segment)"))
        }
        let version = bytes.loadInteger(UInt32.self, at: 8, .bigEndian)
        switch version {
        case 1: return decodeVersion1(bytes)
        case 2: return decodeVersion2(bytes)
        default:
            return .failure(
                HeaderProblem(
                    "unsupported format version \(version) (this build reads \(SpoolFormat.oldestReadableVersion)...\(SpoolFormat.version))"
                ))
        }
    }

    private static func decodeVersion1(_ bytes: [UInt8]) -> Result<SpoolSegmentHeader, HeaderProblem> {
        let crc = bytes.loadInteger(UInt32.self, at: 28, .bigEndian)
        guard crc == CRC32C.checksum(bytes[0..<28]) else {
            return .failure(HeaderProblem("header checksum mismatch"))
        }
        let previous = bytes.loadInteger(UInt64.self, at: 20, .bigEndian)
        var header = SpoolSegmentHeader(
            base: LSN(bytes.loadInteger(UInt64.self, at: 12, .bigEndian)), previousCommitEnd: previous == 0 ? nil : LSN(previous))
        header.version = 1
        return .success(header)
    }

    private static func decodeVersion2(_ bytes: [UInt8]) -> Result<SpoolSegmentHeader, HeaderProblem> {
        let length = Int(bytes.loadInteger(UInt32.self, at: 12, .bigEndian))
        guard length >= SpoolFormat.segmentHeaderFixedSizeV2 + 4, length <= SpoolFormat.maxSegmentHeaderSize else {
            return .failure(HeaderProblem("header checksum mismatch (implausible header length \(length))"))
        }
        guard bytes.count >= length else {
            return .failure(HeaderProblem("only \(bytes.count) of \(length) header bytes present"))
        }
        guard bytes.loadInteger(UInt32.self, at: length - 4, .bigEndian) == CRC32C.checksum(bytes[0..<(length - 4)]) else {
            return .failure(HeaderProblem("header checksum mismatch"))
        }
        let slotLength = Int(bytes[65])
        let databaseAt = 66 + slotLength
        guard databaseAt < length - 4, databaseAt + 1 + Int(bytes[databaseAt]) == length - 4 else {
            return .failure(HeaderProblem("header name lengths do not add up to the header length \(length)"))
        }
        let slot = String(decoding: bytes[66..<databaseAt], as: UTF8.self)
        let database = String(decoding: bytes[(databaseAt + 1)..<(length - 4)], as: UTF8.self)
        func lsn(at offset: Int) -> LSN? {
            let value = bytes.loadInteger(UInt64.self, at: offset, .bigEndian)
            return value == 0 ? nil : LSN(value)
        }
        let identity = SpoolStreamIdentity(
            systemIdentifier: bytes.loadInteger(UInt64.self, at: 48, .bigEndian),
            timeline: bytes.loadInteger(UInt32.self, at: 44, .bigEndian),
            database: database,
            slot: slot
        )
        let epoch = SpoolEpoch(
            number: bytes.loadInteger(UInt32.self, at: 40, .bigEndian),
            start: LSN(bytes.loadInteger(UInt64.self, at: 56, .bigEndian)),
            identity: identity
        )
        return .success(
            SpoolSegmentHeader(
                base: LSN(bytes.loadInteger(UInt64.self, at: 16, .bigEndian)),
                previousCommitEnd: lsn(at: 24),
                previousSegment: lsn(at: 32),
                epoch: epoch,
                startsEpoch: bytes[64] & 1 != 0
            ))
    }

    /// Reads and decodes the header of the segment file `file`.
    static func read(from file: PosixFile) throws(SpoolError) -> SpoolSegmentHeader {
        let bytes = try withFileErrors { () throws(FileError) in try file.read(count: SpoolFormat.maxSegmentHeaderSize, at: 0) }
        switch decode(bytes) {
        case .failure(let problem): throw .corruptSegmentHeader(path: file.path, reason: problem.reason)
        case .success(let header): return header
        }
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
            return .failure(
                HeaderProblem("implausible frame lengths (compressed \(compressed), uncompressed \(uncompressed), records \(count))"))
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
