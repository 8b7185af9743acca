import ConduitCore
import Logging
import Synchronization

/// ingest's side of `ingest.sock`: tells every connected router how far the spool is durable,
/// and hears back how far router has applied it (for back-pressure).
final class DurabilityAnnouncer: Sendable {
    private let server: IPCServer<RouterToIngest, IngestToRouter>
    private let state: State

    private final class State: Sendable {
        let latest = Mutex<SpoolDurablePosition?>(nil)
        /// router's applied commit-end LSN as last reported; 0 until a router reports. The latest
        /// report, not the highest: after a stream reset router's position may move backwards.
        let consumed = Atomic<UInt64>(0)
    }

    init(socketPath: String, initial: SpoolDurablePosition?, logger: Logger) throws {
        let state = State()
        state.latest.withLock { $0 = initial }
        self.state = state
        server = try IPCServer<RouterToIngest, IngestToRouter>(
            path: socketPath,
            logger: logger,
            onConnect: { peer in
                if let position = state.latest.withLock({ $0 }) { peer.send(Self.message(position)) }
            },
            onMessage: { _, message in
                if case .consumed(let lsn) = message { state.consumed.store(lsn.value, ordering: .relaxed) }
            }
        )
    }

    /// Starts accepting routers (from ingest's replication service, once).
    func start() { server.start() }

    /// Publishes a new durable position to every router.
    func announce(_ position: SpoolDurablePosition) {
        state.latest.withLock { $0 = position }
        server.broadcast(Self.message(position))
    }

    /// WAL bytes between the last transaction spooled and what router has applied; 0 while no
    /// router has reported (ingest then never pauses: there is nobody to wait for). Keepalive
    /// positions are left out on purpose: router reports transactions only, so counting them
    /// would pause ingest behind a router that has nothing left to read.
    func routerLag(spooled: LSN) -> UInt64 {
        let consumed = state.consumed.load(ordering: .relaxed)
        guard consumed > 0, spooled.value > consumed else { return 0 }
        return spooled.value - consumed
    }

    /// router's last reported position (the end of the last transaction it applied), if any.
    var consumed: LSN? {
        let value = state.consumed.load(ordering: .relaxed)
        return value == 0 ? nil : LSN(value)
    }

    func close() { server.close() }

    private static func message(_ position: SpoolDurablePosition) -> IngestToRouter {
        .durable(position)
    }
}
