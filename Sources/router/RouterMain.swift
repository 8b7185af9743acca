import Foundation
import Logging
import Shared

/// `router`: spool → shape logs. See docs/ARCHITECTURE.md.
@main
struct RouterMain {
    static func main() {
        let environment = ProcessInfo.processInfo.environment
        let logger = LoggingSetup.bootstrap(process: "router", level: environment["CONDUIT_LOG_LEVEL"] ?? "info")
        do {
            let configuration = try RouterConfiguration(environment: environment)
            let stop = StopSignal()
            let inbox = RouterInbox()
            let engine = try RouterEngine(configuration: configuration, inbox: inbox, stop: stop, logger: logger)
            let server = try IPCServer<RouterMessage>(
                path: configuration.storage.routerSocket,
                logger: logger,
                onMessage: { peer, message in
                    switch message {
                    case .getOrCreateShape(let id, let definition):
                        inbox.post(.shapeRequest(peer: peer, requestID: id, definition: definition, create: true))
                    case .lookupShape(let id, let definition):
                        inbox.post(.shapeRequest(peer: peer, requestID: id, definition: definition, create: false))
                    default:
                        break
                    }
                }
            )
            let ingest = IPCClient<IngestMessage>(
                path: configuration.storage.ingestSocket,
                logger: logger,
                onMessage: { message in
                    if case .durable(let segment, let offset, let commitEnd) = message {
                        inbox.durableAdvanced(SpoolDurablePosition(segment: segment, offset: offset, commitEndLSN: commitEnd))
                    }
                }
            )
            engine.notify = { server.broadcast($0) }
            engine.reportConsumed = { ingest.send(.consumed(commitEndLSN: $0)) }
            logger.info("router started", metadata: ["storage.dir": "\(configuration.storage.root)"])
            try engine.run()
            ingest.close()
            server.close()
            logger.info("router stopped")
        } catch {
            logger.critical("router failed", metadata: ["error": "\(error)"])
            exit(1)
        }
    }
}
