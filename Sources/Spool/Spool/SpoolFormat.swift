import ConduitCore

/// The on-disk format of the transaction spool, version 1.
///
/// ## Directory
/// `<storage>/spool/<16 upper-case hex digits>.spool`, one file per segment, named by the
/// segment's base LSN (``LSN/paddedHex``), so `ls` order is log order. The base LSN is the resume
/// point when the segment was opened: the end LSN of the last commit before it, or for the very
/// first segment the LSN of its first record. A segment is written as `<name>.tmp`, fsynced and
/// renamed, so a file with the final name always has a complete header (and schema frame).
///
/// ## Segment header (32 bytes, all integers big-endian)
/// ```
/// offset size field
///      0    8 magic "CDSPOOL\n" (43 44 53 50 4F 4F 4C 0A)
///      8    4 u32 format version = 1
///     12    8 u64 base LSN (the value in the file name)
///     20    8 u64 previous commit end LSN: last commit end LSN before this segment, 0 if none
///     28    4 u32 CRC32C of bytes 0..<28
/// ```
/// Frames follow back to back until the end of the file.
///
/// ## Frame (32-byte header + zstd payload)
/// ```
/// offset size field
///      0    4 magic "CDFR" (43 44 46 52)
///      4    4 u32 compressed length C (payload bytes after this header)
///      8    4 u32 uncompressed length U
///     12    4 u32 record count
///     16    1 u8 flags: bit 0 = the frame ends at a transaction boundary (its last record is a
///             Commit, or it is outside any transaction); bit 1 = schema frame (see below)
///     17    3 reserved, zero
///     20    8 u64 end LSN of the last Commit inside the frame, 0 if the frame holds none
///     28    4 u32 CRC32C of header bytes 0..<28 followed by the C payload bytes
///     32    C one zstd frame (level 3 by default) that decompresses to exactly U bytes of records
/// ```
///
/// ## Record (inside a decompressed payload, back to back)
/// ```
/// offset size field
///      0    1 u8 kind: 1 = pgoutput message, 2 = schema replay (a Relation or Type message repeated
///             from an earlier segment)
///      1    8 u64 LSN: XLogData dataStart of the message (for a Commit, its end LSN)
///      9    4 u32 message length L
///     13    L the raw pgoutput message, tag byte first
/// ```
///
/// ## Invariants
/// - Self-describing: every segment after the first starts with a schema frame (flags bits 0 and
///   1) holding the latest Type and Relation message of every relation seen so far, as kind-2
///   records, so a reader can start at any segment.
/// - A writer makes data durable only at a transaction boundary: it writes a boundary frame and
///   fsyncs. Large transactions are split over several non-boundary frames (about 1 MiB
///   uncompressed each) that are written but not fsynced.
/// - After recovery a segment ends exactly after a boundary frame: torn, corrupt and
///   partial-transaction frames at the tail are cut off. Only the last segment can have a tail;
///   rotation happens after an fsync at a boundary.
/// - Readers never trust the file size: they stop at a published ``SpoolDurablePosition`` and
///   treat a bad magic, length or CRC before it as corruption.
public enum SpoolFormat {
    /// The format version written in every segment header.
    public static let version: UInt32 = 1
    /// File name extension of segments.
    public static let segmentExtension = ".spool"
    /// Suffix of a segment still being created.
    static let temporarySuffix = ".tmp"

    static let segmentMagic: [UInt8] = Array("CDSPOOL\n".utf8)
    static let frameMagic: UInt32 = 0x4344_4652  // "CDFR"

    static let segmentHeaderSize = 32
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
}

/// Flag bits of a frame header.
struct SpoolFrameFlags: OptionSet, Hashable, Sendable {
    var rawValue: UInt8

    /// The frame ends at a transaction boundary.
    static let endsAtBoundary = SpoolFrameFlags(rawValue: 1)
    /// The frame holds the schema replay at the start of a segment.
    static let schema = SpoolFrameFlags(rawValue: 2)

    static let known: SpoolFrameFlags = [.endsAtBoundary, .schema]
}
