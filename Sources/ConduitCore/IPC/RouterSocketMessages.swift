/// Messages on `router.sock` (router listens, every serve process connects). One JSON object
/// per line; each side has its own enum.

/// serve → router.
public enum ServeToRouter: Codable, Sendable, Hashable {
    /// Find the shape for this definition, creating it (and starting its snapshot) if none
    /// exists. router answers with ``RouterToServe/shapeReply(requestID:handle:)`` or
    /// ``RouterToServe/shapeRejected(requestID:rejection:)`` carrying the same `requestID`.
    case getOrCreateShape(requestID: UInt64, definition: ShapeDefinition)
    /// These shapes were served since the last report (router evicts the least recently used
    /// shapes beyond its cap).
    case shapesServed(handles: [String])
}

/// router → serve.
public enum RouterToServe: Codable, Sendable, Hashable {
    /// The handle of request `requestID`'s shape.
    case shapeReply(requestID: UInt64, handle: String)
    /// Request `requestID` cannot be served: see ``ShapeRejection``.
    case shapeRejected(requestID: UInt64, rejection: ShapeRejection)
    /// Shape `handle` published new entries (or snapshot chunks).
    case shapeAdvanced(handle: String)
    /// Shape `handle` is gone (truncate, schema change, eviction, stream reset): its clients must
    /// refetch.
    case shapeRemoved(handle: String)
    /// The replication stream has been processed up to `lsn` (the `global_last_seen_lsn`).
    case lastSeenLSN(LSN)
}

/// Why router refused a shape request, and what serve answers.
public enum ShapeRejection: Error, Codable, Sendable, Hashable {
    /// The definition is wrong (HTTP 400). `field` names the request parameter (`table`,
    /// `where`, `params`, `columns`, `replica`) and `message` says what is wrong.
    case invalid(field: String?, message: String)
    /// The shape cannot be created now (database unreachable, a lock or a snapshot timed out,
    /// too many creations in flight): HTTP 503 with `retry-after: retryAfterSeconds`.
    case unavailable(message: String, retryAfterSeconds: Int)
}
