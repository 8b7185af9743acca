import Foundation
import Logging
import ConduitCore
import Synchronization

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
            let lastSeen = LastSeenLSN(engine.appliedCommitLSN)
            let server = try IPCServer<RouterMessage>(
                path: configuration.storage.routerSocket,
                logger: logger,
                onConnect: { peer in peer.send(.lastSeenLSN(lsn: lastSeen.value)) },
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
            engine.notify = { message in
                if case .lastSeenLSN(let lsn) = message { lastSeen.value = lsn }
                server.broadcast(message)
            }
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

/// The latest commit router has published, for serve processes that connect later.
final class LastSeenLSN: Sendable {
    private let stored: Atomic<UInt64>

    init(_ lsn: LSN) { stored = Atomic(lsn.value) }

    var value: LSN {
        get { LSN(stored.load(ordering: .relaxed)) }
        set { stored.store(newValue.value, ordering: .relaxed) }
    }
}
