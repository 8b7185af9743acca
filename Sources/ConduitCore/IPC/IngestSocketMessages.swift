/// Messages on `ingest.sock` (ingest listens, router connects). One JSON object per line.
///
/// Each side has its own enum, so a process can only send what its side may send.

/// ingest → router.
public enum IngestToRouter: Codable, Sendable, Hashable {
    /// The spool is fsync'd up to this position; sent on connect and after every group commit.
    /// router never reads past the last position it was told.
    case durable(SpoolDurablePosition)
}

/// router → ingest.
public enum RouterToIngest: Codable, Sendable, Hashable {
    /// router has applied, and checkpointed, every transaction whose commit ends at or before
    /// `commitEndLSN`; ingest uses it for back-pressure (and spool retention).
    case consumed(commitEndLSN: LSN)
}
