import ConduitCore

/// Builds and parses spool frames (layout in ``SpoolFormat``).
///
/// Writing: records are appended to an uncompressed batch with ``appendRecord(kind:lsn:message:to:)``,
/// then ``encodeFrame(batch:recordCount:flags:lastCommitEnd:compressor:level:)`` compresses the batch
/// once and returns header + payload ready for a single `pwrite`.
/// Reading: ``readFrame(from:at:fileSize:)`` loads and checksums one frame, ``records(in:header:)``
/// splits its decompressed payload.
enum SpoolFrameCodec {
    /// Appends one record (13-byte header + message) to an uncompressed batch.
    @inline(__always)
    static func appendRecord(kind: SpoolRecordKind, lsn: LSN, message: UnsafeRawBufferPointer, to batch: inout [UInt8]) {
        batch.append(kind.rawValue)
        batch.appendInteger(lsn.value, .bigEndian)
        batch.appendInteger(UInt32(truncatingIfNeeded: message.count), .bigEndian)
        batch.append(contentsOf: message)
    }

    /// Compresses `batch` and returns the complete frame (32-byte header followed by the payload).
    static func encodeFrame(
        batch: [UInt8],
        recordCount: Int,
        flags: SpoolFrameFlags,
        lastCommitEnd: LSN?,
        compressor: ZstdCompressor,
        level: Int
    ) throws(ZstdError) -> [UInt8] {
        let headerSize = SpoolFormat.frameHeaderSize
        let capacity = headerSize + ZstdCompressor.compressBound(batch.count)
        var failure: ZstdError?
        let frame = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            do throws(ZstdError) {
                let compressed = try batch.withUnsafeBytes { input in
                    Result { () throws(ZstdError) -> Int in
                        try compressor.compress(input, into: UnsafeMutableRawBufferPointer(rebasing: raw[headerSize...]), level: level)
                    }
                }.get()
                let header = SpoolFrameHeader(
                    compressedLength: compressed,
                    uncompressedLength: batch.count,
                    recordCount: recordCount,
                    flags: flags,
                    lastCommitEnd: lastCommitEnd,
                    checksum: 0
                )
                header.storeWithoutChecksum(into: raw)
                var crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<28]))
                crc = CRC32C.update(crc, UnsafeRawBufferPointer(rebasing: raw[headerSize..<(headerSize + compressed)]))
                raw.storeInteger(crc, at: 28, .bigEndian)
                count = headerSize + compressed
            } catch {
                failure = error
                count = 0
            }
        }
        if let failure { throw failure }
        return frame
    }

    /// The outcome of reading one frame from a segment file.
    enum FrameRead {
        /// No bytes at all at this offset.
        case endOfFile
        /// A frame whose header is plausible and whose checksum matches.
        case frame(SpoolFrameHeader, compressed: [UInt8])
        /// Something is there but it is not a whole valid frame (torn write or corruption).
        case invalid(String)
        /// The frame (or its header) would end at `end`, past the caller's limit; its payload was not read.
        case crossesLimit(end: UInt64)
    }

    /// Reads and checksums the frame at `offset`.
    ///
    /// - Parameters:
    ///   - fileSize: lengths pointing past it are reported as invalid before any payload is read,
    ///     so a garbage length never causes a huge allocation.
    ///   - limit: when given, no byte at or past it is read; a frame reaching past it is reported
    ///     as ``FrameRead/crossesLimit(end:)``.
    static func readFrame(from file: PosixFile, at offset: UInt64, fileSize: UInt64, limit: UInt64? = nil) throws(FileError) -> FrameRead {
        if let limit, offset + UInt64(SpoolFormat.frameHeaderSize) > limit {
            return .crossesLimit(end: offset + UInt64(SpoolFormat.frameHeaderSize))
        }
        let headerBytes = try file.read(count: SpoolFormat.frameHeaderSize, at: offset)
        if headerBytes.isEmpty { return .endOfFile }
        guard headerBytes.count == SpoolFormat.frameHeaderSize else {
            return .invalid("torn frame header (\(headerBytes.count) of \(SpoolFormat.frameHeaderSize) bytes)")
        }
        let decoded = headerBytes.withUnsafeBytes { SpoolFrameHeader.decode($0) }
        let header: SpoolFrameHeader
        switch decoded {
        case .failure(let problem): return .invalid(problem.reason)
        case .success(let value): header = value
        }
        let payloadOffset = offset + UInt64(SpoolFormat.frameHeaderSize)
        if let limit, payloadOffset + UInt64(header.compressedLength) > limit {
            return .crossesLimit(end: payloadOffset + UInt64(header.compressedLength))
        }
        if payloadOffset + UInt64(header.compressedLength) > fileSize {
            return .invalid("frame payload of \(header.compressedLength) bytes runs past the end of the file (\(fileSize) bytes)")
        }
        let compressed = try file.read(count: header.compressedLength, at: payloadOffset)
        guard compressed.count == header.compressedLength else {
            return .invalid("torn frame payload (\(compressed.count) of \(header.compressedLength) bytes)")
        }
        var crc = CRC32C.checksum(headerBytes[0..<28])
        crc = compressed.withUnsafeBytes { CRC32C.update(crc, $0) }
        guard crc == header.checksum else {
            return .invalid(
                "frame checksum mismatch (stored 0x\(String(header.checksum, radix: 16)), computed 0x\(String(crc, radix: 16)))")
        }
        return .frame(header, compressed: compressed)
    }

    /// Splits a decompressed payload into records; returns a reason string if it is malformed.
    static func records(in payload: [UInt8], header: SpoolFrameHeader) -> Result<[SpoolRecord], HeaderProblem> {
        var records: [SpoolRecord] = []
        records.reserveCapacity(header.recordCount)
        let parsed: HeaderProblem? = payload.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                guard raw.count - offset >= SpoolFormat.recordHeaderSize else {
                    return HeaderProblem("record header at payload offset \(offset) is cut off")
                }
                guard let kind = SpoolRecordKind(rawValue: raw[offset]) else {
                    return HeaderProblem("unknown record kind \(raw[offset]) at payload offset \(offset)")
                }
                let lsn = LSN(raw.loadInteger(UInt64.self, at: offset + 1, .bigEndian))
                let length = Int(raw.loadInteger(UInt32.self, at: offset + 9, .bigEndian))
                let start = offset + SpoolFormat.recordHeaderSize
                guard length <= raw.count - start else {
                    return HeaderProblem("record at payload offset \(offset) claims \(length) bytes, only \(raw.count - start) remain")
                }
                records.append(SpoolRecord(kind: kind, lsn: lsn, payload: payload[start..<(start + length)]))
                offset = start + length
            }
            return nil
        }
        if let parsed { return .failure(parsed) }
        guard records.count == header.recordCount else {
            return .failure(HeaderProblem("frame holds \(records.count) records, header says \(header.recordCount)"))
        }
        return .success(records)
    }
}
