import ConduitCore
import Spool

/// Everything ingest reads from its environment, parsed and checked once at start-up.
struct IngestConfiguration: Sendable {
    var stream: StreamSettings
    /// Pause reading the replication stream while router is this many WAL bytes behind what is
    /// durable in the spool (status updates continue while paused).
    var maxRouterLagBytes: UInt64
    /// Interval between standby status updates when nothing else prompts one. PostgreSQL's
    /// default `wal_sender_timeout` is 60 s; a third of it keeps the walsender content.
    var statusIntervalSeconds: Double = 10
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

    init(environment: EnvironmentReader) throws(ConfigurationError) {
        stream = try StreamSettings(environment: environment, process: "ingest")
        maxRouterLagBytes = try environment.byteCount("CONDUIT_MAX_ROUTER_LAG_BYTES", default: 1_073_741_824)
        compressionLevel = try environment.integer("CONDUIT_SPOOL_COMPRESSION_LEVEL", default: ZstdCompressor.defaultLevel, in: -7...19)
        segmentBytes = try environment.integer("CONDUIT_SPOOL_SEGMENT_BYTES", default: 67_108_864, in: (64 << 10)...(1 << 30))
        retentionBytes = try environment.byteCount("CONDUIT_SPOOL_RETENTION_BYTES", default: 10_737_418_240)
        retentionSeconds = Double(
            try environment.integer("CONDUIT_SPOOL_RETENTION_SECONDS", default: 604_800, in: 0...(100 * 365 * 86_400)))
    }
}
