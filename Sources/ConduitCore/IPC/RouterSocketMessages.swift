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
    /// Run a subset snapshot of shape `handle` (protocol.md §3.4). router answers with
    /// ``RouterToServe/subsetReply(requestID:outcome:)``.
    case subsetSnapshot(requestID: UInt64, handle: String, subset: SubsetRequest)
    /// Remove a shape (protocol.md §8.8), found by `definition` (and then checked against
    /// `handle` when both are given) or by `handle` alone. Never creates one. router answers with
    /// ``RouterToServe/deleteReply(requestID:outcome:)``.
    case deleteShape(requestID: UInt64, definition: ShapeDefinition?, handle: String?)
}

/// router → serve.
public enum RouterToServe: Codable, Sendable, Hashable {
    /// The handle of request `requestID`'s shape.
    case shapeReply(requestID: UInt64, handle: String)
    /// Request `requestID` cannot be served: see ``ShapeRejection``.
    case shapeRejected(requestID: UInt64, rejection: ShapeRejection)
    /// Shape `handle` published new entries (or snapshot chunks).
    case shapeAdvanced(handle: String)
    /// These shapes published new entries in one group commit: one message for thousands of
    /// shapes instead of one each (at most ``shapesAdvancedBatch`` handles per message).
    case shapesAdvanced(handles: [String])
    /// Shape `handle` is gone (truncate, schema change, eviction, stream reset): its clients must
    /// refetch.
    case shapeRemoved(handle: String)
    /// The replication stream has been processed up to `lsn` (the `global_last_seen_lsn`).
    case lastSeenLSN(LSN)
    /// Sent first on every connection: router has loaded its shapes and answers requests. serve's
    /// health is `active` only after it (protocol.md §9.1).
    case ready
    /// The answer to ``ServeToRouter/subsetSnapshot(requestID:handle:subset:)``.
    case subsetReply(requestID: UInt64, outcome: SubsetOutcome)
    /// The answer to ``ServeToRouter/deleteShape(requestID:definition:handle:)``.
    case deleteReply(requestID: UInt64, outcome: DeleteOutcome)
}

extension RouterToServe {
    /// Most handles in one ``shapesAdvanced(handles:)`` message (a line of about 200 KB).
    public static let shapesAdvancedBatch = 4096
}

/// What became of a shape deletion request (protocol.md §8.8).
public enum DeleteOutcome: Codable, Sendable, Hashable {
    /// The shape was removed (HTTP 202); its clients get 409.
    case deleted(handle: String)
    /// No shape matches (HTTP 404).
    case notFound
    /// The definition's shape has another handle than the one given (HTTP 400).
    case handleMismatch
    /// The definition is invalid (400) or cannot be checked now (503).
    case rejected(ShapeRejection)
}

/// Why router refused a shape request, and what serve answers.
public enum ShapeRejection: Error, Codable, Sendable, Hashable {
    /// The definition is wrong (HTTP 400). `field` names the request parameter (`table`,
    /// `where`, `params`, `columns`, `replica`) and `message` says what is wrong.
    case invalid(field: String?, message: String)
    /// The shape cannot be created now (database unreachable, a lock or a snapshot timed out,
    /// too many creations in flight): HTTP 503 with `retry-after: retryAfterSeconds`.
    case unavailable(message: String, retryAfterSeconds: Int)
    /// PostgreSQL refused a subset query the checks let through (an invalid enum value, say):
    /// HTTP 400 with `message` as the string under `errors.subset.where` (protocol.md §3.4).
    case subsetQueryFailed(message: String)
}
