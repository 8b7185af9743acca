import ConduitCore

/// The on-disk format of the transaction spool, version 2 (version 1 segments are still read).
///
/// ## Directory
/// `<storage>/spool/<16 upper-case hex digits>.spool`, one file per segment, named by the
/// segment's key (``LSN/paddedHex``), so `ls` order is log order. The key is the segment's base
/// LSN: the stream position when it was opened (the end of the previous segment, or the start
/// of a new stream epoch). Only when a stream reset made LSNs go backwards (a restored or
/// different server) is it one more than the previous segment's key instead, so names keep
/// sorting in log order. A segment is written as `<name>.tmp`, fsynced and renamed, so a file with
/// the final name always has a complete header (and first frame).
///
/// ## Segment header, version 2 (H bytes, all integers big-endian)
/// ```
/// offset size field
///      0    8 magic "CDSPOOL\n" (43 44 53 50 4F 4F 4C 0A)
///      8    4 u32 format version = 2
///     12    4 u32 header length H (67 + S + D + 4 bytes; at most ``maxSegmentHeaderSize``)
///     16    8 u64 segment key (the value in the file name)
///     24    8 u64 previous commit end: the stream position at the end of the previous segment
///             (its last Commit end, position or reset LSN), 0 if this is the first segment
///     32    8 u64 previous segment key, 0 if this is the first segment
///     40    4 u32 stream epoch (see below)
///     44    4 u32 timeline of the server the epoch streams from (IDENTIFY_SYSTEM)
///     48    8 u64 system identifier of that server (IDENTIFY_SYSTEM)
///     56    8 u64 epoch start LSN: where the epoch's replication slot started
///     64    1 u8 flags: bit 0 = the first frame is the epoch's stream-reset frame
///     65    1 u8 S, then S bytes: replication slot name (UTF-8)
///   66+S    1 u8 D, then D bytes: database name (UTF-8)
///    H-4    4 u32 CRC32C of bytes 0..<H-4
/// ```
/// Version 1 headers are 32 bytes: magic, u32 version = 1, u64 base LSN, u64 previous commit
/// end, u32 CRC32C of bytes 0..<28; they carry no stream identity (epoch 0, adopted on upgrade).
///
/// ## Chain and epochs
/// Every segment names its predecessor (key and end position), so a reader moving to the next
/// file checks that nothing is missing in between and fails loudly on a gap. A *stream epoch* is
/// one unbroken replication stream from one slot of one server. When continuity with
/// PostgreSQL is lost (slot dropped or invalidated, another server or timeline, the spool moved
/// away), ingest starts the next epoch in a new segment whose first frame is a *stream-reset
/// frame*: one kind-3 record; everything before it is a different stream, and a consumer must
/// drop every state it derived from the spool so far (router invalidates every shape).
///
/// ## Frame (32-byte header + zstd payload)
/// ```
/// offset size field
///      0    4 magic "CDFR" (43 44 46 52)
///      4    4 u32 compressed length C (payload bytes after this header)
///      8    4 u32 uncompressed length U
///     12    4 u32 record count
///     16    1 u8 flags: bit 0 = the frame ends at a transaction boundary (its last record is a
///             Commit, or it is outside any transaction); bit 1 = schema frame (see below);
///             bit 2 = stream-reset frame (exactly one kind-3 record)
///     17    3 reserved, zero
///     20    8 u64 stream position after the frame: the end LSN of the last Commit inside it, the
///             acknowledged WAL end of a position frame, or the new epoch's start of a reset
///             frame; 0 if the frame holds none of these
///     28    4 u32 CRC32C of header bytes 0..<28 followed by the C payload bytes
///     32    C one zstd frame (level 1 by default) that decompresses to exactly U bytes of records
/// ```
/// A boundary frame with no records is a *position frame*: ingest received a keepalive between
/// transactions saying the stream holds nothing before that WAL end, and records it here before
/// confirming it to PostgreSQL, so the slot never gets ahead of the spool.
///
/// ## Record (inside a decompressed payload, back to back)
/// ```
/// offset size field
///      0    1 u8 kind: 1 = pgoutput message, 2 = schema replay (a Relation or Type message repeated
///             from an earlier segment), 3 = stream reset (``SpoolStreamReset``)
///      1    8 u64 LSN: XLogData dataStart of the message (for a Commit, its end LSN; for a
///             reset, the new epoch's start)
///      9    4 u32 message length L
///     13    L the raw pgoutput message, tag byte first
/// ```
///
/// ## Invariants
/// - Self-describing: every segment after the first that continues an epoch starts with a
///   schema frame (flags bits 0 and 1) holding the latest Type and Relation message of every
///   relation seen so far, as kind-2 records, so a reader can start at any segment. A segment
///   that starts an epoch has none: the new stream sends its Relation messages again.
/// - A writer makes data durable only at a transaction boundary: it writes a boundary frame and
///   fsyncs. Large transactions are split over several non-boundary frames (about 1 MiB
///   uncompressed each) that are written but not fsynced.
/// - Recovery cuts only the last segment's tail after its last boundary frame; a damaged frame
///   there is cut only once PostgreSQL's confirmed position shows it was never confirmed.
///   Rotation happens after an fsync at a boundary, so earlier segments have no tail.
/// - Readers never trust the file size: they stop at a published ``SpoolDurablePosition`` and
///   treat a bad magic, length or CRC before it as corruption, a broken chain as a gap.
public enum SpoolFormat {
    /// The format version written in every new segment header.
    public static let version: UInt32 = 2
    /// The oldest segment header version still read.
    public static let oldestReadableVersion: UInt32 = 1
    /// File name extension of segments.
    public static let segmentExtension = ".spool"
    /// Suffix of a segment still being created.
    static let temporarySuffix = ".tmp"

    static let segmentMagic: [UInt8] = Array("CDSPOOL\n".utf8)
    static let frameMagic: UInt32 = 0x4344_4652  // "CDFR"

    /// Size of a version-1 segment header.
    static let segmentHeaderSizeV1 = 32
    /// Fixed part of a version-2 header: everything but the two names and the CRC.
    static let segmentHeaderFixedSizeV2 = 67
    /// Upper bound of a version-2 header (two names of at most 255 bytes), read at once.
    static let maxSegmentHeaderSize = 67 + 255 + 255 + 4
    static let frameHeaderSize = 32
    static let recordHeaderSize = 13

    /// Largest uncompressed frame accepted when reading: generous, since a single pgoutput
    /// message may approach 1 GiB, yet small enough to reject a garbage length before allocating.
    static let maxUncompressedFrameSize = 1 << 31

    /// The file name of the segment with base LSN `base`.
    public static func segmentFileName(base: LSN) -> String {
        base.paddedHex + segmentExtension
    }

    /// The base LSN encoded in a segment file name, or nil if `name` is not a segment name.
    public static func segmentBase(fileName name: String) -> LSN? {
        guard name.hasSuffix(segmentExtension) else { return nil }
        let hex = name.dropLast(segmentExtension.count)
        guard hex.count == 16, hex.allSatisfy({ $0.isHexDigit && !$0.isLowercase }), let value = UInt64(hex, radix: 16) else {
            return nil
        }
        return LSN(value)
    }
}

/// The kind byte of a spool record.
public enum SpoolRecordKind: UInt8, Hashable, Sendable {
    /// A pgoutput message received from the replication stream.
    case pgoutput = 1
    /// A Relation or Type message repeated at the start of a segment so the segment is self-describing.
    case schema = 2
    /// The start of a new stream epoch; the payload decodes with ``SpoolStreamReset/init(record:)``.
    case streamReset = 3
}

/// Flag bits of a frame header.
struct SpoolFrameFlags: OptionSet, Hashable, Sendable {
    var rawValue: UInt8

    /// The frame ends at a transaction boundary.
    static let endsAtBoundary = SpoolFrameFlags(rawValue: 1)
    /// The frame holds the schema replay at the start of a segment.
    static let schema = SpoolFrameFlags(rawValue: 2)
    /// The frame holds exactly one stream-reset record.
    static let streamReset = SpoolFrameFlags(rawValue: 4)

    static let known: SpoolFrameFlags = [.endsAtBoundary, .schema, .streamReset]
}
