/// Messages on `router.sock` (router listens, every serve process connects). One JSON object per
/// line.
///
/// Requests carry a `requestID` chosen by the client; the reply carries the same id.
/// Notifications are broadcast to every connected serve process.
public enum RouterMessage: Codable, Sendable, Hashable {
    /// serve → router: find the shape for this definition, creating it (and starting its
    /// snapshot) if none exists.
    case getOrCreateShape(requestID: UInt64, definition: ShapeDefinition)
    /// serve → router: does a shape exist for this definition? Never creates one.
    case lookupShape(requestID: UInt64, definition: ShapeDefinition)
    /// router → serve: the handle for the definition of request `requestID` (nil when a lookup
    /// found nothing).
    case shapeReply(requestID: UInt64, handle: String?)
    /// router → serve: the definition is invalid. `field` names the request parameter
    /// (`table`, `where`, `params`, `columns`, `replica`) and `message` says what is wrong;
    /// `status` is the HTTP status to answer with (400, or 503 when the database is unreachable).
    case shapeError(requestID: UInt64, status: Int, field: String?, message: String)
    /// router → serve: shape `handle` has new entries up to `latest` (text form of a LogOffset).
    case shapeAdvanced(handle: String, latest: String)
    /// router → serve: shape `handle` is gone (truncate, schema change, deletion): clients of it
    /// must refetch.
    case shapeRemoved(handle: String)
    /// router → serve: the replication stream has been processed up to `lsn` (decimal in the
    /// `global_last_seen_lsn` header).
    case lastSeenLSN(lsn: LSN)
}
