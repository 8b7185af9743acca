import ConduitCore
import Logging

#if canImport(Glibc)
    @preconcurrency import Glibc
#else
    import Darwin
#endif

/// Crash recovery of the spool's tail, run by ``SpoolWriter`` when it opens.
///
/// Rule: every segment header is read and the chain checked (``SpoolCatalog/verifyChain(_:directory:)``);
/// the last segment is scanned frame by frame from its header. Its tail after the last valid
/// frame that ends at a transaction boundary is never durable data: fsync happens only right
/// after a boundary frame, so the last fsynced byte is always the end of one.
/// - Valid frames after that point hold only the first part of a transaction: cut at once.
/// - A torn or checksum-failing frame there is cut only after ingest has compared PostgreSQL's
///   confirmed position with what the spool still holds (``SpoolWriter/resolveTail(confirmedFlush:)``):
///   a bit flip in a confirmed frame looks exactly like a torn write, and cutting it silently would
///   lose confirmed transactions. Until then the bytes stay for an operator to inspect.
/// - A damaged frame followed by valid frames is damage inside the spool, not a tail: recovery
///   throws instead of truncating, as it does for a broken chain or a bad header.
///
/// The kept frames are fsynced (they may still sit only in the page cache after a process crash)
/// before anything is announced or confirmed from them.
/// Why nothing is duplicated: the resume LSN is the end of the last *kept* commit, and the writer
/// drops re-sent transactions that committed before it.
/// Leftover `*.spool.tmp` files (a crash while creating a segment) are removed: they never held
/// durable data. Earlier segments' frames are not scanned (they were fsynced before rotation);
/// ``SpoolReader`` checks every frame it reads.
enum SpoolRecovery {
    struct Recovered {
        var segment: SpoolSegmentFile?
        /// The last segment's header.
        var header: SpoolSegmentHeader?
        var schema: SpoolSchemaCache
        /// The stream position at the kept end: last Commit end, position or epoch start.
        var lastCommitEnd: LSN?
        /// The end of the last kept frame holding records (a transaction or a reset).
        var lastTransactionEnd: LSN?
        /// A damaged tail left in place until PostgreSQL's confirmed position has been checked.
        var unresolvedTail: SpoolTailDamage?
    }

    static func recover(directory: String, logger: Logger) throws(SpoolError) -> Recovered {
        do throws(FileError) {
            try FileSystem.createDirectory(directory)
            let leftovers = try FileSystem.listDirectory(directory).filter {
                $0.hasSuffix(SpoolFormat.segmentExtension + SpoolFormat.temporarySuffix)
            }
            for name in leftovers {
                logger.warning("Removing incomplete spool segment", metadata: [LogKey.file: "\(name)"])
                try FileSystem.removeFile(directory + "/" + name)
            }
            if !leftovers.isEmpty {
                try FileSystem.syncDirectory(directory)
            }
        } catch {
            throw .file(error)
        }
        let catalog = try SpoolCatalog.list(directory: directory)
        try SpoolCatalog.verifyChain(catalog, directory: directory)
        guard let last = catalog.last?.key else {
            logger.info("Spool is empty", metadata: [LogKey.spoolDirectory: "\(directory)"])
            return Recovered(segment: nil, header: nil, schema: SpoolSchemaCache(), lastCommitEnd: nil)
        }
        let path = SpoolDirectory.path(of: last, in: directory)
        let file = try withFileErrors { () throws(FileError) in try PosixFile(path: path, flags: O_RDWR) }
        return try recoverSegment(file: file, base: last, logger: logger)
    }

    private static func recoverSegment(file: PosixFile, base: LSN, logger: Logger) throws(SpoolError) -> Recovered {
        let path = file.path
        let fileSize = try withFileErrors { () throws(FileError) in try file.size() }
        let header = try SpoolSegmentHeader.read(from: file)
        guard header.base == base else {
            throw .corruptSegmentHeader(path: path, reason: "header base LSN \(header.base) does not match the file name")
        }

        let decompressor: ZstdDecompressor
        do throws(ZstdError) {
            decompressor = try ZstdDecompressor()
        } catch {
            throw .compression(path: path, offset: 0, error: error)
        }
        var schema = SpoolSchemaCache()
        var keptEnd = UInt64(header.size)
        var keptCommitEnd = header.startPosition
        var runningCommitEnd = keptCommitEnd
        var keptTransactionEnd = header.previousCommitEnd
        var runningTransactionEnd = keptTransactionEnd
        // Relation/Type records seen since the last boundary frame; applied only once it is kept.
        var unconfirmedSchema: [SpoolRecord] = []
        var offset = keptEnd
        var damage: String?

        scan: while true {
            let read: SpoolFrameCodec.FrameRead
            do throws(FileError) {
                read = try SpoolFrameCodec.readFrame(from: file, at: offset, fileSize: fileSize)
            } catch {
                throw .file(error)
            }
            switch read {
            case .endOfFile:
                break scan
            case .invalid(let reason):
                try refuseIfDamageIsFollowedByValidFrames(file: file, at: offset, fileSize: fileSize, reason: reason)
                damage = "\(reason) at offset \(offset)"
                break scan
            case .crossesLimit:
                preconditionFailure("recovery reads without a limit")
            case .frame(let frameHeader, let compressed):
                let records = try SpoolFrameReading.decompressRecords(
                    compressed: compressed, header: frameHeader, decompressor: decompressor, path: path, offset: offset)
                for record in records where record.tag == PgOutputMessage.Tag.relation || record.tag == PgOutputMessage.Tag.type {
                    unconfirmedSchema.append(record)
                }
                if let commit = frameHeader.lastCommitEnd {
                    runningCommitEnd = commit
                    if !records.isEmpty { runningTransactionEnd = commit }
                }
                offset += UInt64(frameHeader.totalSize)
                if frameHeader.flags.contains(.endsAtBoundary) {
                    for record in unconfirmedSchema {
                        do throws(PgOutputDecodingError) {
                            try schema.observe(lsn: record.lsn, message: record.payload)
                        } catch {
                            throw .corruptFrame(
                                path: path, offset: offset, reason: "stored schema message at \(record.lsn) is malformed: \(error)")
                        }
                    }
                    unconfirmedSchema.removeAll()
                    keptEnd = offset
                    keptCommitEnd = runningCommitEnd
                    keptTransactionEnd = runningTransactionEnd
                }
            }
        }

        var unresolved: SpoolTailDamage?
        if fileSize > keptEnd, let damage {
            unresolved = SpoolTailDamage(path: path, offset: keptEnd, bytes: fileSize - keptEnd, reason: damage)
            logger.warning(
                "Spool tail is damaged or torn; it is cut once PostgreSQL's confirmed position shows it was never acknowledged",
                metadata: [
                    LogKey.spoolSegment: "\(base.paddedHex)", LogKey.spoolOffset: "\(keptEnd)",
                    LogKey.spoolTailBytes: "\(fileSize - keptEnd)", LogKey.reason: "\(damage)",
                ])
        } else if fileSize > keptEnd {
            logger.warning(
                "Truncating spool tail after the last complete transaction",
                metadata: [
                    LogKey.spoolSegment: "\(base.paddedHex)",
                    LogKey.spoolOffset: "\(keptEnd)",
                    LogKey.spoolDroppedBytes: "\(fileSize - keptEnd)",
                    LogKey.reason: "frames without a closing commit",
                ]
            )
            try withFileErrors { () throws(FileError) in try file.truncate(to: keptEnd) }
        }
        // Kept frames may never have been fsynced (the process, not the machine, crashed):
        // make them durable before they are announced to router or confirmed to PostgreSQL.
        try withFileErrors { () throws(FileError) in try file.sync() }
        logger.info(
            "Spool recovered",
            metadata: [
                LogKey.spoolSegment: "\(base.paddedHex)",
                LogKey.spoolOffset: "\(keptEnd)",
                LogKey.spoolEpoch: "\(header.epoch.map { "\($0.number)" } ?? "none (version 1)")",
                LogKey.lsn: "\(keptCommitEnd.map { "\($0)" } ?? "none")",
                LogKey.spoolRelations: "\(schema.relations.count)",
            ]
        )
        return Recovered(
            segment: SpoolSegmentFile(base: base, path: path, file: file, size: keptEnd),
            header: header,
            schema: schema,
            lastCommitEnd: keptCommitEnd,
            lastTransactionEnd: keptTransactionEnd,
            unresolvedTail: unresolved
        )
    }
}

/// A damaged or torn tail of the last segment that recovery left in place (see ``SpoolRecovery``).
public struct SpoolTailDamage: Hashable, Sendable, CustomStringConvertible {
    public var path: String
    /// Where the intact spool ends and the damage begins.
    public var offset: UInt64
    /// Bytes from `offset` to the end of the file.
    public var bytes: UInt64
    public var reason: String

    public var description: String { "\(path) at offset \(offset) (\(bytes) bytes: \(reason))" }
}

extension SpoolRecovery {
    /// Distinguishes a torn tail from damaged durable data.
    ///
    /// A crash can only tear the frames written after the last fsync, i.e. the end of the file.
    /// If the damaged frame's header is intact and a valid frame follows it, the damage is in the
    /// middle of data that may have been fsynced and confirmed to PostgreSQL: truncating would
    /// silently lose it, so recovery stops with an error for an operator instead.
    fileprivate static func refuseIfDamageIsFollowedByValidFrames(
        file: PosixFile,
        at offset: UInt64,
        fileSize: UInt64,
        reason: String
    ) throws(SpoolError) {
        let headerBytes = try withFileErrors { () throws(FileError) in try file.read(count: SpoolFormat.frameHeaderSize, at: offset) }
        guard headerBytes.count == SpoolFormat.frameHeaderSize,
            case .success(let header) = headerBytes.withUnsafeBytes({ SpoolFrameHeader.decode($0) })
        else { return }
        let next = offset + UInt64(header.totalSize)
        guard next < fileSize else { return }
        let following = try withFileErrors { () throws(FileError) in try SpoolFrameCodec.readFrame(from: file, at: next, fileSize: fileSize)
        }
        if case .frame = following {
            throw .corruptFrame(
                path: file.path,
                offset: offset,
                reason: "\(reason), but valid frames follow at offset \(next): this is damage inside the spool, not a torn tail; "
                    + "refusing to truncate (restore the segment or rebuild the spool)"
            )
        }
    }
}

/// Decompression and record splitting shared by recovery and the reader.
enum SpoolFrameReading {
    /// Decompresses a checksummed frame payload and splits it into records.
    ///
    /// - Throws: ``SpoolError/corruptFrame(path:offset:reason:)`` if the payload does not
    ///   decompress or parse: with a matching checksum that means a writer bug or a damaged disk.
    static func decompressRecords(
        compressed: [UInt8],
        header: SpoolFrameHeader,
        decompressor: ZstdDecompressor,
        path: String,
        offset: UInt64
    ) throws(SpoolError) -> [SpoolRecord] {
        let payload: [UInt8]
        do throws(ZstdError) {
            payload = try decompressor.decompress(compressed, uncompressedSize: header.uncompressedLength)
        } catch {
            throw .corruptFrame(path: path, offset: offset, reason: "payload does not decompress: \(error)")
        }
        switch SpoolFrameCodec.records(in: payload, header: header) {
        case .success(let records): return records
        case .failure(let problem): throw .corruptFrame(path: path, offset: offset, reason: problem.reason)
        }
    }
}

/// Runs a file operation, wrapping its ``FileError`` in ``SpoolError/file(_:)``.
@inline(__always)
func withFileErrors<T>(_ body: () throws(FileError) -> T) throws(SpoolError) -> T {
    try FileError.mapped(to: SpoolError.file, body)
}
