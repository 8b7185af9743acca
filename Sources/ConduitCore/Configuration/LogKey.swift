/// The metadata keys of every log line, shared by the three processes so one query finds the
/// same thing in all of them (`shape.handle=…` in router's and serve's logs alike).
///
/// Keys are `<area>.<name>`; a key that only one process uses still lives here, so there is one
/// spelling of each thing.
public enum LogKey {
    public static let error = "error"
    public static let reason = "reason"
    public static let process = "process"
    public static let storageDirectory = "storage.dir"
    public static let socket = "ipc.socket"
    public static let shapeHandle = "shape.handle"
    public static let shapeCount = "shape.count"
    public static let table = "pg.table"
    public static let slot = "pg.slot"
    public static let publication = "pg.publication"
    public static let lsn = "pg.lsn"
    public static let spoolDirectory = "spool.dir"
    public static let spoolSegment = "spool.segment"
    public static let spoolSegments = "spool.segments"
    public static let spoolPosition = "spool.position"
    public static let spoolEpoch = "spool.epoch"
    public static let spoolResumeLSN = "spool.resume_lsn"
    public static let spoolDurableLSN = "spool.durable_lsn"
    public static let spoolFreedBytes = "spool.freed_bytes"
    public static let spoolFirstKept = "spool.first_kept"
    public static let requestID = "http.request_id"
    public static let httpMethod = "http.method"
    public static let httpPath = "http.path"
    public static let httpStatus = "http.status"
    public static let listenAddress = "net.listen"
    public static let port = "net.port"
    public static let retrySeconds = "retry.seconds"
    public static let file = "file.path"
    public static let bytes = "size.bytes"
    public static let duration = "duration.seconds"
    public static let spoolOffset = "spool.offset"
    public static let spoolPreviousSegment = "spool.previous_segment"
    public static let spoolPreviousSize = "spool.previous_size"
    public static let spoolDroppedBytes = "spool.dropped_bytes"
    public static let spoolTailBytes = "spool.tail_bytes"
    public static let spoolRelations = "spool.relations"
    public static let spoolEnd = "spool.end"
    public static let diskFreeBytes = "disk.free_bytes"
    public static let pgSystem = "pg.system"
    public static let connections = "net.connections"
    public static let maxConnections = "net.max_connections"
    public static let descriptorLimit = "net.nofile"

    /// The key of an effective setting in a process's start-up line: `config.<name>`.
    public static func setting(_ name: String) -> String { "config." + name }
}
