import ConduitCore

/// Everything ingest reads from its environment, parsed and checked once at start-up.
struct IngestConfiguration: Sendable {
    var stream: StreamSettings
    /// Pause reading the replication stream while router is this many WAL bytes behind what is
    /// durable in the spool (status updates continue while paused).
    var maxRouterLagBytes: UInt64
    /// Interval between standby status updates when nothing else prompts one. PostgreSQL's
    /// default `wal_sender_timeout` is 60 s; a third of it keeps the walsender content.
    var statusIntervalSeconds: Double = 10
    var logLevel: String
    /// zstd level of spool frames, `CONDUIT_SPOOL_COMPRESSION_LEVEL`.
    var compressionLevel: Int
    /// A spool segment is closed at the first commit after it reaches this size,
    /// `CONDUIT_SPOOL_SEGMENT_BYTES` (retention removes whole segments).
    var segmentBytes: Int
    /// Retention: keep the spool under this many bytes, `CONDUIT_SPOOL_RETENTION_BYTES`, and
    /// segments younger than `CONDUIT_SPOOL_RETENTION_SECONDS` — but never remove a segment router
    /// has not consumed, nor the current one (``SpoolRetentionPolicy``).
    var retentionBytes: UInt64
    var retentionSeconds: Double
    /// Seconds between keepalive positions recorded in the spool while idle (each is a tiny frame
    /// and an fsync); only a recorded position is confirmed to PostgreSQL.
    var positionIntervalSeconds: Double = 1

    var databaseURL: String { stream.databaseURL }
    var storage: StorageLayout { stream.storage }
    var publicationName: String { stream.publicationName }
    var slotName: String { stream.slotName }

    init(environment: [String: String]) throws(ConfigurationError) {
        stream = try StreamSettings(environment: environment, process: "ingest")
        maxRouterLagBytes = try ConfigurationError.byteCount(
            environment["CONDUIT_MAX_ROUTER_LAG_BYTES"] ?? "1073741824",
            variable: "CONDUIT_MAX_ROUTER_LAG_BYTES"
        )
        logLevel = environment["CONDUIT_LOG_LEVEL"] ?? "info"
        compressionLevel = try ConfigurationError.integer(
            environment["CONDUIT_SPOOL_COMPRESSION_LEVEL"] ?? "3", variable: "CONDUIT_SPOOL_COMPRESSION_LEVEL", range: -7...19)
        segmentBytes = try ConfigurationError.integer(
            environment["CONDUIT_SPOOL_SEGMENT_BYTES"] ?? "67108864", variable: "CONDUIT_SPOOL_SEGMENT_BYTES", range: (64 << 10)...(1 << 30))
        retentionBytes = try ConfigurationError.byteCount(
            environment["CONDUIT_SPOOL_RETENTION_BYTES"] ?? "10737418240", variable: "CONDUIT_SPOOL_RETENTION_BYTES")
        retentionSeconds = Double(
            try ConfigurationError.integer(
                environment["CONDUIT_SPOOL_RETENTION_SECONDS"] ?? "604800", variable: "CONDUIT_SPOOL_RETENTION_SECONDS",
                range: 0...(100 * 365 * 86_400)))
    }
}
