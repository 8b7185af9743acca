import ConduitCore
import Glibc
import Logging

/// serve's settings, read once at start-up from the environment (see `docs/configuration.md`).
///
/// | variable | default | meaning |
/// | --- | --- | --- |
/// | `CONDUIT_STORAGE_DIR` | `./conduit-data` | the storage directory shared with router |
/// | `CONDUIT_HOST` | `127.0.0.1` | address to bind |
/// | `CONDUIT_PORT` | `3000` | port to bind |
/// | `CONDUIT_REUSE_PORT` | `false` | bind with `SO_REUSEPORT`, so several serve processes share the port |
/// | `CONDUIT_LONG_POLL_TIMEOUT` | `20000` | ms a live request waits for changes |
/// | `CONDUIT_LOG_LEVEL` | `info` | swift-log level |
/// | `CONDUIT_SECRET` | unset | when set, `/v1/shape` requires `secret=<value>` (protocol.md §2) |
/// | `CONDUIT_SECRET_PREVIOUS` | unset | also accepted while a secret is being rotated |
/// | `CONDUIT_MAX_URL_BYTES` | `16384` | longest request target; longer ones get 414 |
/// | `CONDUIT_MAX_HEADER_BYTES` | `32768` | largest header block; larger ones get 431 |
/// | `CONDUIT_MAX_BODY_BYTES` | `1048576` | largest request body; larger ones get 413 |
/// | `CONDUIT_REQUEST_HEAD_TIMEOUT_MS` | `10000` | time to send a whole request head (slowloris) |
/// | `CONDUIT_IDLE_TIMEOUT_MS` | `75000` | an idle keep-alive connection is closed after this |
/// | `CONDUIT_MAX_CONNECTIONS` | `4096` | open connections; more are answered 503 and closed |
/// | `CONDUIT_MAX_SHAPE_CREATIONS` | `300` | shape lookups/creations in flight to router; more get 503 |
/// | `CONDUIT_RESPONSE_WINDOW_BYTES` | `262144` | bytes of a shape log read and written per step |
/// | `CONDUIT_SHUTDOWN_TIMEOUT_MS` | `10000` | how long SIGTERM waits for in-flight responses |
/// | `CONDUIT_ALLOW_SHAPE_DELETION` | `false` | enables `DELETE /v1/shape` (405 otherwise) |
/// | `CONDUIT_ROUTER_URL` | unset | router's TCP listener (`host:port`) instead of `router.sock` |
/// | `CONDUIT_SERVE_INSTANCE` | the pid | this instance's name in status and logs |
///
/// `LISTEN_PID`/`LISTEN_FDS` (systemd socket activation) make serve adopt the listening socket
/// on descriptor 3 instead of binding `CONDUIT_HOST:CONDUIT_PORT`.
struct ServeConfiguration: Sendable, Equatable {
    var storageDirectory = "./conduit-data"
    var host = "127.0.0.1"
    var port = 3000
    /// `SO_REUSEPORT` when serve binds itself. Off by default: a second serve started by mistake
    /// (an old version left running after a deploy) should fail with "address in use", not
    /// silently take half the traffic; sharing a port is a deliberate choice.
    var reusePort = false
    /// The descriptor of a listening socket inherited through systemd socket activation.
    var inheritedSocket: Int32?
    var longPollTimeout: Duration = .milliseconds(20000)
    var logLevel: Logger.Level = .info
    /// The API secret shape requests must carry; nil serves without authentication.
    var secret: String?
    /// The secret being retired, accepted as well while clients move to ``secret``
    /// (docs/runbooks/rotating-the-secret.md); only meaningful with ``secret`` set.
    var previousSecret: String?
    /// How long an initial request waits for snapshot chunk 0 (Electric's
    /// `snapshot_timeout_to_first_data`).
    var snapshotTimeout: Duration = .seconds(30)
    /// How long an SSE stream stays open before the client must reconnect (Electric's `sse_timeout`).
    var sseTimeout: Duration = .seconds(60)
    /// What one connection may make serve hold or wait for.
    var limits = RequestLimits()
    /// Open connections; each costs a descriptor, so keep it below `ulimit -n`.
    var maxConnections = 4096
    /// Shape lookups and creations waiting on router at once (Electric's `initial` admission
    /// limit has the same default): beyond it a request is answered 503 instead of queueing.
    var maxShapeCreations = 300
    /// Bytes of shape log read from disk and handed to the connection per step (twice that while
    /// serve's budget for double windows lasts, ``ResponseWindows``). A client that stops reading
    /// holds about two windows in serve plus the socket buffers; Electric writes at most 256 KiB
    /// at a time for the same reason.
    var responseWindowBytes = 256 * 1024
    /// How long SIGTERM waits for responses in flight before the connections are cut.
    var shutdownTimeout: Duration = .seconds(10)
    /// `DELETE /v1/shape` removes shapes (protocol.md §8.8); off, it answers 405. Electric ties it
    /// to its integration-testing switch: deleting shapes is for tests and operators, not clients.
    var allowShapeDeletion = false
    /// router's TCP listener (`CONDUIT_ROUTER_URL=host:port`), for a serve process that shares the
    /// storage directory but not the host; nil: `router.sock` in the storage directory.
    var routerAddress: IPCAddress?
    /// This process's name among serve instances (`CONDUIT_SERVE_INSTANCE`, systemd's `%i`;
    /// default: the pid), shown in `/v1/status` and in router's list of connected serve processes.
    var instance = "serve"

    init() {}

    /// Parses `environment`, rejecting malformed values with an error that names the variable.
    /// - Parameter processID: compared with `LISTEN_PID`, which names the process the inherited
    ///   sockets are meant for.
    init(environment: [String: String], processID: Int32 = getpid()) throws(ConfigurationError) {
        let reader = EnvironmentReader(environment)
        storageDirectory = StorageLayout(environment: reader).root
        if let value = reader["CONDUIT_HOST"] { host = value }
        port = try reader.integer("CONDUIT_PORT", in: 0...65535) ?? port
        reusePort = try reader.boolean("CONDUIT_REUSE_PORT") ?? reusePort
        inheritedSocket = try reader.inheritedSocket(processID: processID)
        longPollTimeout = try reader.milliseconds("CONDUIT_LONG_POLL_TIMEOUT", in: 1...3_600_000) ?? longPollTimeout
        if let value = reader["CONDUIT_SECRET"] { secret = value }
        previousSecret = reader["CONDUIT_SECRET_PREVIOUS"]
        if previousSecret != nil && secret == nil {
            throw ConfigurationError(
                variable: "CONDUIT_SECRET_PREVIOUS", value: "(set)", expected: "CONDUIT_SECRET to be set too (the secret it is rotated to)")
        }
        logLevel = try ProcessSettings(environment: reader).logLevel
        limits.maxURLBytes = try reader.integer("CONDUIT_MAX_URL_BYTES", in: 1024...1 << 20) ?? limits.maxURLBytes
        limits.maxHeaderBytes = try reader.integer("CONDUIT_MAX_HEADER_BYTES", in: 1024...1 << 20) ?? limits.maxHeaderBytes
        limits.maxBodyBytes = try reader.integer("CONDUIT_MAX_BODY_BYTES", in: 0...1 << 30) ?? limits.maxBodyBytes
        limits.headTimeout = try reader.milliseconds("CONDUIT_REQUEST_HEAD_TIMEOUT_MS", in: 100...600_000) ?? limits.headTimeout
        limits.idleTimeout = try reader.milliseconds("CONDUIT_IDLE_TIMEOUT_MS", in: 100...3_600_000) ?? limits.idleTimeout
        maxConnections = try reader.integer("CONDUIT_MAX_CONNECTIONS", in: 1...1_000_000) ?? maxConnections
        maxShapeCreations = try reader.integer("CONDUIT_MAX_SHAPE_CREATIONS", in: 1...100_000) ?? maxShapeCreations
        responseWindowBytes =
            try reader.integer("CONDUIT_RESPONSE_WINDOW_BYTES", in: 4096...64 << 20) ?? responseWindowBytes
        shutdownTimeout = try reader.milliseconds("CONDUIT_SHUTDOWN_TIMEOUT_MS", in: 0...600_000) ?? shutdownTimeout
        allowShapeDeletion = try reader.boolean("CONDUIT_ALLOW_SHAPE_DELETION") ?? allowShapeDeletion
        if let text = reader["CONDUIT_ROUTER_URL"] {
            guard let address = IPCAddress(hostPort: text) else {
                throw ConfigurationError(
                    variable: "CONDUIT_ROUTER_URL", value: text, expected: "host:port of router's CONDUIT_ROUTER_LISTEN")
            }
            routerAddress = address
        }
        instance = reader["CONDUIT_SERVE_INSTANCE"] ?? String(processID)
    }

    /// The long-poll timeout in whole seconds, the cursor interval of protocol.md §5.5.
    var longPollTimeoutSeconds: Int { Int(longPollTimeout.components.seconds) }
}

extension EnvironmentReader {
    /// systemd socket activation (`sd_listen_fds(3)`): the sockets start at descriptor 3 and are
    /// meant for the process `LISTEN_PID` names; for any other process the variables are stale.
    fileprivate func inheritedSocket(processID: Int32) throws(ConfigurationError) -> Int32? {
        guard let pid = self["LISTEN_PID"], let count = self["LISTEN_FDS"] else { return nil }
        guard Int32(pid) == processID else { return nil }
        guard count == "1" else {
            throw ConfigurationError(variable: "LISTEN_FDS", value: count, expected: "1 (serve listens on one socket)")
        }
        return 3
    }
}
