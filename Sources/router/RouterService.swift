import ConduitCore
import Foundation
import Logging
import Synchronization

/// router's life as a service: connect to ingest, build a ``RouterEngine``, load the shapes of
/// the previous run, and only then listen on `router.sock`, so serve's health says ready only
/// when shape requests can be answered. A full disk does not end the process: the engine is
/// rebuilt from what is on disk (exactly what a restart would do) and retried with backoff until
/// space returns.
///
/// Runs on the thread of a ``ThreadService``. On graceful shutdown the loop finishes the
/// transaction it is in, commits every shape log and writes its checkpoint
/// (``RouterEngine/run()``), then the workers and sockets are closed.
final class RouterService: Sendable {
    let configuration: RouterConfiguration
    let logger: Logger
    let inbox = RouterInbox()
    let progress = RouterProgress()
    let gauges = RouterGauges()
    private let phaseValue = Mutex<RouterStatus.Phase>(.starting)
    private let lastSeen = LastSeenLSN(.zero)
    private let server = ServerBox()
    let ingest: IPCClient<IngestToRouter, RouterToIngest>
    /// Held for the life of the process: one router per storage directory.
    private let lock: DirectoryLock

    /// Takes `router.lock`; nothing else happens until ``run(stop:)``.
    /// - Throws: when another router holds the storage directory.
    init(configuration: RouterConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        self.lock = try DirectoryLock.acquire(directory: configuration.storage.root, name: Self.lockFileName)
        let inbox = self.inbox
        ingest = IPCClient<IngestToRouter, RouterToIngest>(
            path: configuration.storage.ingestSocket,
            logger: logger,
            onMessage: { message in
                if case .durable(let position) = message { inbox.durableAdvanced(position) }
            }
        )
    }

    /// The lock that keeps a second router (or a replay) off a storage directory.
    static let lockFileName = "router.lock"

    var phase: RouterStatus.Phase { phaseValue.withLock { $0 } }
    /// Process ids of the serve processes connected now.
    var servePeers: [Int32] { server.withLock { $0 }.flatMap(\.peerProcessIDs).sorted() }

    /// The service that runs router: list it last in the group.
    var service: ThreadService {
        ThreadService(name: "router") { [self] stop in try run(stop: stop) }
    }

    func run(stop: StopSignal) throws {
        defer { withExtendedLifetime(lock) {} }
        let server = self.server
        let lastSeen = self.lastSeen
        let ingest = self.ingest
        let configuration = self.configuration
        let space = StoragePause(logger: logger)
        ingest.start()
        let services = RouterServices(
            inbox: inbox,
            progress: progress,
            catalog: WorkerPool(name: "catalog", threads: 2, capacity: configuration.shapeQueueLimit) {
                ShapeResolver(databaseURL: configuration.databaseURL, timeouts: configuration.database, limits: configuration.whereLimits)
            },
            snapshots: WorkerPool(name: "snapshot", threads: configuration.maxConcurrentSnapshots, capacity: configuration.shapeQueueLimit) {
                SnapshotWorker(databaseURL: configuration.databaseURL, timeouts: configuration.database)
            },
            notify: { message in
                if case .lastSeenLSN(let lsn) = message { lastSeen.value = lsn }
                for listening in server.withLock({ $0 }) { listening.broadcast(message) }
            },
            reportConsumed: { lsn in
                space.progressed()
                ingest.send(.consumed(commitEndLSN: lsn))
            },
            gauges: gauges
        )
        defer {
            services.catalog.stop(threads: 2)
            services.snapshots.stop(threads: configuration.maxConcurrentSnapshots)
            ingest.close()
            for listening in server.withLock({ $0 }) { listening.close() }
            phaseValue.withLock { $0 = .stopped }
        }
        logger.info("router started", metadata: [LogKey.storageDirectory: "\(configuration.storage.root)"])
        var backoff: Double = 1
        while !stop.isRequested {
            do {
                let engine = try RouterEngine(configuration: configuration, services: services, stop: stop, logger: logger)
                try engine.start()
                lastSeen.value = engine.appliedCommitLSN
                engine.waitForStream()
                try listenOnce(inbox: inbox)
                phaseValue.withLock { $0 = .routing }
                try engine.run()
                logger.info(
                    "Routing stopped; shape logs committed and checkpoint written", metadata: [LogKey.lsn: "\(engine.appliedCommitEnd)"])
            } catch  where Self.isOutOfSpace(error) {
                phaseValue.withLock { $0 = .diskFull }
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
    }

    /// Opens `router.sock`, and the TCP listener of `CONDUIT_ROUTER_LISTEN` for serve processes
    /// on other hosts, the first time the engine has loaded its shapes.
    private func listenOnce(inbox: RouterInbox) throws {
        guard server.withLock({ $0.isEmpty }) else { return }
        let lastSeen = self.lastSeen
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
            server.withLock { $0.append(listening) }
            listening.start()
            logger.info("router ready", metadata: [LogKey.socket: "\(address)"])
        }
        SystemdNotifier.ready(status: "shapes loaded; routing")
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

/// router's listeners once they listen: `router.sock`, and the TCP one when configured (shared by
/// the loop, the notify callback and status).
final class ServerBox: Sendable {
    private let servers = Mutex<[IPCServer<ServeToRouter, RouterToServe>]>([])

    func withLock<R>(_ body: (inout [IPCServer<ServeToRouter, RouterToServe>]) -> R) -> R { servers.withLock { body(&$0) } }
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
