import ConduitCore

#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

/// The client's `r` Standby Status Update, sent with `PQputCopyData` during replication.
///
/// Layout (34 bytes, big-endian):
/// ```
/// u8  'r'
/// u64 written    WAL received and written
/// u64 flushed    WAL durable on the client: the slot's confirmed_flush_lsn moves here
/// u64 applied    WAL applied
/// i64 clientTime µs since 2000-01-01 00:00:00 UTC
/// u8  replyRequested (1 = the server should answer with a keepalive at once)
/// ```
/// - Important: `flushed` must never exceed the end LSN of the last commit whose spool frame has
///   been fsynced; acknowledging more lets PostgreSQL recycle WAL the spool does not yet hold.
public struct StandbyStatusUpdate: Hashable, Sendable {
    public var written: LSN
    public var flushed: LSN
    public var applied: LSN
    /// µs since 2000-01-01 00:00:00 UTC; see ``postgresMicrosecondsNow()``.
    public var clientTime: Int64
    public var replyRequested: Bool

    /// Encoded size in bytes, tag included.
    public static let encodedSize = 34
    /// Seconds from the Unix epoch to PostgreSQL's epoch, 2000-01-01 00:00:00 UTC.
    public static let postgresEpochUnixSeconds: Int64 = 946_684_800

    public init(written: LSN, flushed: LSN, applied: LSN, clientTime: Int64, replyRequested: Bool = false) {
        self.written = written
        self.flushed = flushed
        self.applied = applied
        self.clientTime = clientTime
        self.replyRequested = replyRequested
    }

    /// The 34-byte CopyData payload.
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.encodedSize)
        encode(into: &bytes)
        return bytes
    }

    /// Appends the 34-byte CopyData payload to `bytes`.
    public func encode(into bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "r"))
        bytes.appendInteger(written.value, .bigEndian)
        bytes.appendInteger(flushed.value, .bigEndian)
        bytes.appendInteger(applied.value, .bigEndian)
        bytes.appendInteger(UInt64(bitPattern: clientTime), .bigEndian)
        bytes.append(replyRequested ? 1 : 0)
    }

    /// The wall clock as microseconds since PostgreSQL's epoch.
    public static func postgresMicrosecondsNow() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return (Int64(now.tv_sec) - postgresEpochUnixSeconds) * 1_000_000 + Int64(now.tv_nsec) / 1_000
    }
}
