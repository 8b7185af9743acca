/// The name of every metric the three processes export, in one place (see docs/ARCHITECTURE.md,
/// "Operations"). Prometheus names: `conduit_` prefix, base units (bytes, seconds), `_total` on
/// counters.
///
/// Counters are incremented per batch (a group commit, a routed transaction batch, a response),
/// never per change; gauges are sampled once a second by each process's status service.
public enum ConduitMetrics {
    // ingest
    /// Server WAL end (last keepalive or data) minus the flush LSN confirmed to PostgreSQL.
    public static let replicationLagBytes = "conduit_replication_lag_bytes"
    /// Seconds since ingest last had everything the server had sent durable and confirmed.
    public static let replicationLagSeconds = "conduit_replication_lag_seconds"
    /// The flush LSN last confirmed to PostgreSQL (as a number).
    public static let confirmedLSN = "conduit_confirmed_lsn"
    public static let spoolBytes = "conduit_spool_bytes"
    public static let spoolSegments = "conduit_spool_segments"
    /// Group commits made durable (fsynced) in the spool.
    public static let spoolCommits = "conduit_spool_group_commits_total"

    // router
    /// The commit-end LSN router has applied (its checkpoint), as a number.
    public static let routerPositionLSN = "conduit_router_position_lsn"
    /// WAL bytes between what ingest made durable and what router applied.
    public static let routerLagBytes = "conduit_router_lag_bytes"
    /// Seconds since router was last caught up with the spool.
    public static let routerLagSeconds = "conduit_router_lag_seconds"
    public static let shapes = "conduit_shapes"
    /// Row changes routed (each change counted once, however many shapes it reaches).
    public static let changesRouted = "conduit_changes_routed_total"
    /// Transactions routed.
    public static let transactionsRouted = "conduit_transactions_routed_total"
    public static let shapeLogCommits = "conduit_shape_log_commits_total"
    public static let shapeLogCommitShapes = "conduit_shape_log_commit_shapes_total"
    /// Bytes of committed change logs over all shapes.
    public static let shapeLogBytes = "conduit_shape_log_bytes"
    /// Time from a shape's snapshot being opened to its rows being copied.
    public static let snapshotDuration = "conduit_snapshot_duration_seconds"
    public static let servePeers = "conduit_router_serve_peers"

    // serve
    /// Responses by `route` and `status`.
    public static let httpRequests = "conduit_http_requests_total"
    /// Response time by `route` (for live requests this includes the wait).
    public static let httpRequestDuration = "conduit_http_request_duration_seconds"
    /// Open HTTP connections.
    public static let httpConnections = "conduit_http_connections"
}
