import Foundation
import Logging
import ConduitCore

/// The `serve` executable: stateless HTTP over the shape logs in the storage directory.
@main
struct ServeCommand {
    static func main() async {
        let environment = ProcessInfo.processInfo.environment
        let logger = LoggingSetup.bootstrap(process: "serve", level: environment["CONDUIT_LOG_LEVEL"] ?? "info")
        do {
            let configuration = try ServeConfiguration(environment: environment)
            if let descriptor = configuration.inheritedSocket { try SocketActivation.adopt(descriptor) }
            logStart(configuration, logger: logger)
            try await ServeApplication.connectedToRouter(configuration: configuration, logger: logger).run(logger: logger)
            logger.info("serve stopped")
        } catch {
            logger.critical("serve failed", metadata: ["error": "\(error)"])
            exit(1)
        }
    }

    /// One line with the effective settings (the secret only as set or not).
    static func logStart(_ configuration: ServeConfiguration, logger: Logger) {
        let limits = configuration.limits
        logger.info(
            "Starting serve",
            metadata: [
                "serve.storage": "\(configuration.storageDirectory)",
                "serve.listen": "\(configuration.inheritedSocket.map { "inherited fd \($0)" } ?? "\(configuration.host):\(configuration.port)")",
                "serve.reuse_port": "\(configuration.reusePort)",
                "serve.long_poll_ms": "\(configuration.longPollTimeout)",
                "serve.secret": "\(configuration.secret == nil ? "unset" : "set")",
                "serve.max_url_bytes": "\(limits.maxURLBytes)", "serve.max_header_bytes": "\(limits.maxHeaderBytes)",
                "serve.max_body_bytes": "\(limits.maxBodyBytes)", "serve.head_timeout": "\(limits.headTimeout)",
                "serve.idle_timeout": "\(limits.idleTimeout)", "serve.max_connections": "\(configuration.maxConnections)",
                "serve.max_shape_creations": "\(configuration.maxShapeCreations)",
                "serve.response_window_bytes": "\(configuration.responseWindowBytes)",
                "serve.shutdown_timeout": "\(configuration.shutdownTimeout)",
            ]
        )
        var descriptors = rlimit()
        if getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &descriptors) == 0, descriptors.rlim_cur < rlim_t(configuration.maxConnections + 64) {
            logger.warning(
                "CONDUIT_MAX_CONNECTIONS is above the descriptor limit: connections beyond it fail to be accepted",
                metadata: ["serve.max_connections": "\(configuration.maxConnections)", "serve.nofile": "\(descriptors.rlim_cur)"]
            )
        }
    }
}
