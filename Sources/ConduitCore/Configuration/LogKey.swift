/// The metadata keys of every log line, shared by the three processes so one query finds the
/// same thing in all of them (`shape.handle=…` in router's and serve's logs alike).
public enum LogKey {
    public static let error = "error"
    public static let storageDirectory = "storage.dir"
    public static let socket = "ipc.socket"
    public static let shapeHandle = "shape.handle"
    public static let shapeCount = "shape.count"
    public static let table = "pg.table"
    public static let slot = "pg.slot"
    public static let publication = "pg.publication"
    public static let lsn = "pg.lsn"
    public static let spoolSegment = "spool.segment"
    public static let spoolPosition = "spool.position"
    public static let requestID = "http.request_id"
    public static let retrySeconds = "retry.seconds"
    public static let reason = "reason"
}
