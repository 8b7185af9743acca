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
    }
}
