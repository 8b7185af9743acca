/// Messages on `ingest.sock` (ingest listens, router connects). One JSON object per line.
///
/// - `durable` (ingest → router): the spool is fsync'd up to `position`; sent on connect and
///   after every group commit. router never reads past the last position it was told.
/// - `consumed` (router → ingest): router has applied every transaction whose commit ends at or
///   before `commitEndLSN`; ingest uses it for back-pressure.
public enum IngestMessage: Codable, Sendable, Hashable {
    case durable(segment: LSN, offset: UInt64, commitEndLSN: LSN)
    case consumed(commitEndLSN: LSN)
}
