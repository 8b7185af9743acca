import ConduitCore
import Foundation
import Logging
import Synchronization

/// `router`: spool → shape logs. See docs/ARCHITECTURE.md.
///
/// Start-up order: take `router.lock` (one router per storage directory), connect to ingest,
/// load the shapes of the previous run, and only then listen on `router.sock`, so serve's health
/// says ready only when shape requests can be answered. A full disk does not end the process:
/// the engine is rebuilt from what is on disk (exactly what a restart would do) and retried with
/// backoff until space returns.
@main
struct RouterMain {
    static func main() {
        let environment = ProcessInfo.processInfo.environment
        let logger = LoggingSetup.bootstrap(process: "router", level: environment["CONDUIT_LOG_LEVEL"] ?? "info")
        do {
            let configuration = try RouterConfiguration(environment: environment)
            let lock = try DirectoryLock.acquire(directory: configuration.storage.root, name: "router.lock")
            defer { withExtendedLifetime(lock) {} }
            try run(configuration: configuration, logger: logger)
        } catch {
            logger.critical("router cannot run", metadata: [LogKey.error: "\(error)"])
            exit(1)
        }
    }

    private static func run(configuration: RouterConfiguration, logger: Logger) throws {
        let stop = StopSignal()
        let inbox = RouterInbox()
        let lastSeen = LastSeenLSN(.zero)
        // router.sock, plus a TCP listener for serve processes on other hosts (CONDUIT_ROUTER_LISTEN).
        let servers = Mutex<[IPCServer<ServeToRouter, RouterToServe>]>([])
        let space = StoragePause(logger: logger)
        let ingest = IPCClient<IngestToRouter, RouterToIngest>(
            path: configuration.storage.ingestSocket,
            logger: logger,
            onMessage: { message in
                if case .durable(let position) = message { inbox.durableAdvanced(position) }
            }
        )
        let services = RouterServices(
            inbox: inbox,
            progress: RouterProgress(),
            catalog: WorkerPool(name: "catalog", threads: 2, capacity: configuration.shapeQueueLimit) {
                ShapeResolver(databaseURL: configuration.databaseURL, timeouts: configuration.database, limits: configuration.whereLimits)
            },
            snapshots: WorkerPool(name: "snapshot", threads: configuration.maxConcurrentSnapshots, capacity: configuration.shapeQueueLimit) {},
            notify: { message in
                if case .lastSeenLSN(let lsn) = message { lastSeen.value = lsn }
                for server in servers.withLock({ $0 }) { server.broadcast(message) }
            },
            reportConsumed: { lsn in
                space.progressed()
                ingest.send(.consumed(commitEndLSN: lsn))
            }
        )
        logger.info("router started", metadata: [LogKey.storageDirectory: "\(configuration.storage.root)"])
        var backoff: Double = 1
        while !stop.isRequested {
            do {
                let engine = try RouterEngine(configuration: configuration, services: services, stop: stop, logger: logger)
                try engine.start()
                lastSeen.value = engine.appliedCommitLSN
                if servers.withLock({ $0.isEmpty }) {
                    let addresses = [IPCAddress.unix(path: configuration.storage.routerSocket)] + (configuration.listen.map { [$0] } ?? [])
                    for address in addresses {
                        let listening = try IPCServer<ServeToRouter, RouterToServe>(
                            address: address,
                            logger: logger,
                            onConnect: { peer in
                                peer.send(.lastSeenLSN(lastSeen.value))
                                peer.send(.ready)
                            },
                            onMessage: { peer, message in inbox.post(RouterCommand(message, from: peer)) }
                        )
                        servers.withLock { $0.append(listening) }
                        logger.info("router ready", metadata: [LogKey.socket: "\(address)"])
                    }
                }
                try engine.run()
            } catch where isOutOfSpace(error) {
                space.paused(error)
                // Retry once there is room for at least a group commit, and no sooner than the
                // backoff: rebuilding the engine replays from the checkpoint.
                var waited: Double = 0
                while (waited < backoff || !StoragePause.hasRoom(configuration.storage.shapesDirectory)) && !stop.isRequested {
                    usleep(100_000)
                    waited += 0.1
                }
                backoff = min(backoff * 2, 30)
            }
        }
        services.catalog.stop(threads: 2)
        services.snapshots.stop(threads: configuration.maxConcurrentSnapshots)
        ingest.close()
        for server in servers.withLock({ $0 }) { server.close() }
        logger.info("router stopped")
    }

    /// Whether `error` is the storage running out of space (anywhere in its cause).
    static func isOutOfSpace(_ error: any Error) -> Bool {
        switch error {
        case let error as FileError: error.isOutOfSpace
        case let error as ShapeLogError:
            if case .io(let cause) = error { cause.isOutOfSpace } else { false }
        default: false
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

/// A full disk, as router lives through it: logged once when routing pauses and once when a
/// commit succeeds again, however many retries lie between.
final class StoragePause: Sendable {
    /// Free bytes router waits for before it retries.
    static let minimumFreeBytes: UInt64 = 4 << 20

    private let isPaused = Atomic<Bool>(false)
    private let logger: Logger

    init(logger: Logger) { self.logger = logger }

    func paused(_ error: any Error) {
        guard !isPaused.exchange(true, ordering: .relaxed) else { return }
        logger.error(
            "Storage is full; routing paused, nothing is lost, retrying until space is freed",
            metadata: [LogKey.error: "\(error)"])
    }

    /// A group commit succeeded.
    func progressed() {
        guard isPaused.exchange(false, ordering: .relaxed) else { return }
        logger.info("Storage has room again; routing resumed")
    }

    /// Whether the file system holding `directory` has room for router to go on.
    static func hasRoom(_ directory: String) -> Bool {
        var info = statvfs()
        guard statvfs(directory, &info) == 0 else { return true }
        return UInt64(info.f_bavail) * UInt64(info.f_frsize) >= minimumFreeBytes
    }
}
