import ArgumentParser
import ConduitCore
import Glibc
import Logging

/// The `serve` executable: stateless HTTP over the shape logs in the storage directory.
///
/// `serve` alone runs it (`run` is the default subcommand). Several instances may share one port
/// (`CONDUIT_REUSE_PORT`, or systemd socket activation).
@main
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serves shapes over HTTP (Electric's /v1/shape protocol).",
        discussion: "Configured by environment variables (README.md, \"Configuration\").",
        version: Conduit.version,
        subcommands: [Run.self],
        defaultSubcommand: Run.self
    )
}

extension ServeCommand {
    /// Serves until SIGTERM/SIGINT: then accepting stops, waiting live requests are answered,
    /// responses in flight finish (bounded by `CONDUIT_SHUTDOWN_TIMEOUT_MS`), and serve exits 0.
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run serve (the default).")

        func run() async throws {
            await ProcessStartup.run(process: "serve") { context in
                let configuration = try ServeConfiguration(environment: context.environment.environment)
                if let descriptor = configuration.inheritedSocket { try SocketActivation.adopt(descriptor) }
                ServeCommand.logStart(configuration, logger: context.logger)
                let application = ServeApplication.connectedToRouter(configuration: configuration, logger: context.logger)
                return ProcessStartup.Plan(services: application.services, gracefulShutdownBound: application.gracefulShutdownBound)
            }
        }
    }

    /// One line with the effective settings (the secret only as set or not).
    static func logStart(_ configuration: ServeConfiguration, logger: Logger) {
        let limits = configuration.limits
        logger.info(
            "Starting serve",
            metadata: [
                LogKey.setting("instance"): "\(configuration.instance)",
                LogKey.setting("storage"): "\(configuration.storageDirectory)",
                LogKey.listenAddress:
                    "\(configuration.inheritedSocket.map { "inherited fd \($0)" } ?? "\(configuration.host):\(configuration.port)")",
                LogKey.setting("reuse_port"): "\(configuration.reusePort)",
                LogKey.setting("long_poll_ms"): "\(configuration.longPollTimeout)",
                LogKey.setting("secret"): "\(configuration.secret == nil ? "unset" : "set")",
                LogKey.setting("max_url_bytes"): "\(limits.maxURLBytes)", LogKey.setting("max_header_bytes"): "\(limits.maxHeaderBytes)",
                LogKey.setting("max_body_bytes"): "\(limits.maxBodyBytes)", LogKey.setting("head_timeout"): "\(limits.headTimeout)",
                LogKey.setting("idle_timeout"): "\(limits.idleTimeout)", LogKey.maxConnections: "\(configuration.maxConnections)",
                LogKey.setting("max_shape_creations"): "\(configuration.maxShapeCreations)",
                LogKey.setting("response_window_bytes"): "\(configuration.responseWindowBytes)",
                LogKey.setting("shutdown_timeout"): "\(configuration.shutdownTimeout)",
            ]
        )
        var descriptors = rlimit()
        if getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &descriptors) == 0,
            descriptors.rlim_cur < rlim_t(configuration.maxConnections + 64)
        {
            logger.warning(
                "CONDUIT_MAX_CONNECTIONS is above the descriptor limit: connections beyond it fail to be accepted",
                metadata: [LogKey.maxConnections: "\(configuration.maxConnections)", LogKey.descriptorLimit: "\(descriptors.rlim_cur)"]
            )
        }
    }
}
