import Foundation
import Hummingbird
import Logging

/// The `serve` executable: stateless HTTP over the shape logs in the storage directory.
@main
struct ServeCommand {
    static func main() async throws {
        let configuration = try ServeConfiguration(environment: ProcessInfo.processInfo.environment)
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = configuration.logLevel
            return handler
        }
        let logger = Logger(label: "conduit.serve")
        logger.info(
            "Starting serve",
            metadata: [
                "serve.storage": "\(configuration.storageDirectory)", "serve.host": "\(configuration.host)",
                "serve.port": "\(configuration.port)", "serve.long_poll_ms": "\(configuration.longPollTimeout)",
            ]
        )
        let application = buildApplication(configuration: configuration, logger: logger)
        try await application.runService()
    }
}
