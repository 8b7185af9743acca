import Logging

/// serve's settings, read once at start-up from the environment (see `docs/configuration.md`).
///
/// | variable | default | meaning |
/// | --- | --- | --- |
/// | `CONDUIT_STORAGE_DIR` | `./conduit-data` | the storage directory shared with router |
/// | `CONDUIT_HOST` | `127.0.0.1` | address to bind |
/// | `CONDUIT_PORT` | `3000` | port to bind |
/// | `CONDUIT_LONG_POLL_TIMEOUT` | `20000` | ms a live request waits for changes |
/// | `CONDUIT_LOG_LEVEL` | `info` | swift-log level |
/// | `CONDUIT_SECRET` | unset | when set, `/v1/shape` requires `secret=<value>` (protocol.md §2) |
struct ServeConfiguration: Sendable, Equatable {
    var storageDirectory = "./conduit-data"
    var host = "127.0.0.1"
    var port = 3000
    var longPollTimeout: Duration = .milliseconds(20000)
    var logLevel: Logger.Level = .info
    /// The API secret shape requests must carry; nil serves without authentication.
    var secret: String?
    /// How long an initial request waits for snapshot chunk 0 (Electric's
    /// `snapshot_timeout_to_first_data`).
    var snapshotTimeout: Duration = .seconds(30)
    /// How long an SSE stream stays open before the client must reconnect (Electric's `sse_timeout`).
    var sseTimeout: Duration = .seconds(60)

    init() {}

    /// Parses `environment`, rejecting malformed values with an error that names the variable.
    init(environment: [String: String]) throws(ServeConfigurationError) {
        if let value = environment["CONDUIT_STORAGE_DIR"], !value.isEmpty { storageDirectory = value }
        if let value = environment["CONDUIT_HOST"], !value.isEmpty { host = value }
        if let value = environment["CONDUIT_PORT"], !value.isEmpty {
            guard let port = Int(value), (0...65535).contains(port) else {
                throw ServeConfigurationError(variable: "CONDUIT_PORT", value: value, expected: "an integer 0-65535")
            }
            self.port = port
        }
        if let value = environment["CONDUIT_LONG_POLL_TIMEOUT"], !value.isEmpty {
            guard let milliseconds = Int(value), milliseconds > 0 else {
                throw ServeConfigurationError(
                    variable: "CONDUIT_LONG_POLL_TIMEOUT",
                    value: value,
                    expected: "a positive number of milliseconds"
                )
            }
            longPollTimeout = .milliseconds(milliseconds)
        }
        if let value = environment["CONDUIT_SECRET"], !value.isEmpty { secret = value }
        if let value = environment["CONDUIT_LOG_LEVEL"], !value.isEmpty {
            guard let level = Logger.Level(rawValue: value.lowercased()) else {
                throw ServeConfigurationError(
                    variable: "CONDUIT_LOG_LEVEL",
                    value: value,
                    expected: Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
                )
            }
            logLevel = level
        }
    }

    /// The long-poll timeout in whole seconds, the cursor interval of protocol.md §5.5.
    var longPollTimeoutSeconds: Int { Int(longPollTimeout.components.seconds) }
}

/// An environment variable has a value serve cannot use.
struct ServeConfigurationError: Error, Equatable, CustomStringConvertible {
    var variable: String
    var value: String
    var expected: String

    var description: String { "\(variable)=\(value) is invalid: expected \(expected)" }
}
