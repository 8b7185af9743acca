import Foundation
import Logging
import ConduitCore

/// `ingest`: PostgreSQL logical replication → durable spool. See docs/ARCHITECTURE.md.
@main
struct IngestCommand {
    static func main() {
        let environment = ProcessInfo.processInfo.environment
        let logger = LoggingSetup.bootstrap(process: "ingest", level: environment["CONDUIT_LOG_LEVEL"] ?? "info")
        do {
            let configuration = try IngestConfiguration(environment: environment)
            let stop = StopSignal()
            try IngestService(configuration: configuration, stop: stop, logger: logger).run()
        } catch let error as ConfigurationError {
            logger.critical("ingest cannot start", metadata: ["error": "\(error)"])
            exit(1)
        } catch {
            // A second ingest on the directory, or damaged spool data: retrying cannot help.
            logger.critical("ingest stopped: \(error)")
            exit(1)
        }
    }
}
