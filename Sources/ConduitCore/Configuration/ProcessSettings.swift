import Logging

/// The settings every process reads the same way: logging and the metrics endpoint.
///
/// | variable | default | meaning |
/// | --- | --- | --- |
/// | `CONDUIT_LOG_LEVEL` | `info` | swift-log level |
/// | `CONDUIT_LOG_FORMAT` | `text` | `text` or `json` (one object per line) |
/// | `CONDUIT_METRICS_PORT` | unset | serve Prometheus metrics on `GET /metrics` at this port (0: any free port, logged) |
/// | `CONDUIT_METRICS_HOST` | `127.0.0.1` | address of the metrics endpoint |
public struct ProcessSettings: Sendable, Equatable {
    public var logLevel: Logger.Level
    public var logFormat: LoggingSetup.Format
    /// Where ``MetricsEndpoint`` listens; nil: no endpoint (metrics are still counted, cheaply).
    public var metricsHost: String
    public var metricsPort: Int?

    public init(environment: EnvironmentReader) throws(ConfigurationError) {
        let levels = Logger.Level.allCases.map(\.rawValue)
        logLevel = Logger.Level(rawValue: try environment.choice("CONDUIT_LOG_LEVEL", levels, default: "info"))!
        logFormat = LoggingSetup.Format(
            rawValue: try environment.choice("CONDUIT_LOG_FORMAT", LoggingSetup.Format.allCases.map(\.rawValue), default: "text"))!
        metricsHost = environment["CONDUIT_METRICS_HOST"] ?? "127.0.0.1"
        metricsPort = try environment.integer("CONDUIT_METRICS_PORT", in: 0...65535)
    }
}
