import ConduitCore
import Logging
import Synchronization

/// How router answered a shape request.
public enum ShapeResolution: Sendable, Hashable {
    /// The shape's handle.
    case handle(String)
    /// The definition is invalid (400) or the shape cannot be created now (503).
    case rejected(ShapeRejection)
}

/// router did not answer: it is not running, or took longer than the timeout.
public struct RouterUnavailableError: Error, CustomStringConvertible {
    public var description: String { "router is not reachable on its socket" }
}

/// serve's connection to router: request/reply for shapes plus a stream of notifications.
///
/// Reconnects forever in the background; requests made while disconnected fail at once with
/// ``RouterUnavailableError`` so serve can answer 503 instead of hanging.
public final class RouterClient: Sendable {
    private let client: IPCClient<RouterToServe, ServeToRouter>
    private let served = ServedShapes()
    private let pending: PendingRequests
    private let nextID = Atomic<UInt64>(1)

    /// - Parameter onNotification: receives `shapeAdvanced`, `shapesAdvanced`, `shapeRemoved` and `lastSeenLSN`
    ///   messages on the client's thread; `onConnectionChange` receives true/false on (dis)connect.
    public convenience init(
        socketPath: String,
        logger: Logger,
        onConnectionChange: @escaping @Sendable (Bool) -> Void = { _ in },
        onNotification: @escaping @Sendable (RouterToServe) -> Void
    ) {
        self.init(address: .unix(path: socketPath), logger: logger, onConnectionChange: onConnectionChange, onNotification: onNotification)
    }

    /// Connects to router at `address`: `router.sock`, or router's TCP listener
    /// (`CONDUIT_ROUTER_URL`) for a serve process on another host.
    public init(
        address: IPCAddress,
        logger: Logger,
        onConnectionChange: @escaping @Sendable (Bool) -> Void = { _ in },
        onNotification: @escaping @Sendable (RouterToServe) -> Void
    ) {
        let pending = PendingRequests()
        self.pending = pending
        self.client = IPCClient<RouterToServe, ServeToRouter>(
            address: address,
            logger: logger,
            onConnect: { _ in onConnectionChange(true) },
            onDisconnect: {
                onConnectionChange(false)
                let waiting = pending.table.withLock { table in
                    defer { table.removeAll() }
                    return Array(table.values)
                }
                for continuation in waiting { continuation.resume(throwing: RouterUnavailableError()) }
            },
            onMessage: { message in
                switch message {
                case .shapeReply(let id, _), .shapeRejected(let id, _), .subsetReply(let id, _), .deleteReply(let id, _):
                    pending.table.withLock { $0.removeValue(forKey: id) }?.resume(returning: message)
                default:
                    onNotification(message)
                }
            }
        )
    }

    public var isConnected: Bool { client.isConnected }

    /// Finds or creates the shape for `definition`.
    public func getOrCreateShape(_ definition: ShapeDefinition, timeout: Duration = .seconds(30)) async throws
        -> ShapeResolution
    {
        switch try await request(timeout: timeout, { .getOrCreateShape(requestID: $0, definition: definition) }) {
        case .shapeReply(_, let handle): return .handle(handle)
        case .shapeRejected(_, let rejection): return .rejected(rejection)
        default: throw RouterUnavailableError()
        }
    }

    /// Runs a subset snapshot of shape `handle` (protocol.md §3.4) on router.
    public func subsetSnapshot(handle: String, subset: SubsetRequest, timeout: Duration) async throws -> SubsetOutcome {
        guard
            case .subsetReply(_, let outcome) = try await request(
                timeout: timeout, { .subsetSnapshot(requestID: $0, handle: handle, subset: subset) })
        else { throw RouterUnavailableError() }
        return outcome
    }

    /// Asks router to remove a shape (protocol.md §8.8).
    public func deleteShape(definition: ShapeDefinition?, handle: String?, timeout: Duration = .seconds(30)) async throws -> DeleteOutcome {
        guard
            case .deleteReply(_, let outcome) = try await request(
                timeout: timeout, { .deleteShape(requestID: $0, definition: definition, handle: handle) })
        else { throw RouterUnavailableError() }
        return outcome
    }

    /// Records that `handle` was served; router hears of it (batched, at most every few seconds)
    /// and keeps its least-recently-used eviction accurate.
    public func noteServed(_ handle: String) {
        if let batch = served.add(handle) { client.send(.shapesServed(handles: batch)) }
    }

    /// Sends the message `make` builds for a fresh request id and waits for router's reply to it.
    private func request(timeout: Duration, _ make: (UInt64) -> ServeToRouter) async throws -> RouterToServe {
        let id = nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        let message = make(id)
        let pending = self.pending
        let timer = Task {
            try await Task.sleep(for: timeout)
            pending.table.withLock { $0.removeValue(forKey: id) }?.resume(throwing: RouterUnavailableError())
        }
        defer { timer.cancel() }
        return try await withCheckedThrowingContinuation { continuation in
            pending.table.withLock { $0[id] = continuation }
            if !client.send(message) {
                pending.table.withLock { $0.removeValue(forKey: id) }?.resume(throwing: RouterUnavailableError())
            }
        }
    }

    /// Starts connecting (and reconnecting) to router; see ``RouterClient/run()``.
    public func start() { client.start() }

    public func close() { client.close() }
}

/// Continuations of requests waiting for router's reply, keyed by request id.
private final class PendingRequests: Sendable {
    let table = Mutex<[UInt64: CheckedContinuation<RouterToServe, any Error>]>([:])
}

/// Handles served since router was last told, flushed at most every ``interval`` seconds (and
/// only on activity: an idle serve has nothing to report).
private final class ServedShapes: Sendable {
    static let interval: Duration = .seconds(5)
    static let maxBatch = 10_000

    private let state = Mutex<(handles: Set<String>, lastFlush: ContinuousClock.Instant)>(([], .now))

    /// Adds `handle`; returns the batch to send when one is due.
    func add(_ handle: String) -> [String]? {
        state.withLock { state in
            if state.handles.count < Self.maxBatch { state.handles.insert(handle) }
            let now = ContinuousClock.now
            guard state.lastFlush.duration(to: now) >= Self.interval else { return nil }
            defer {
                state.handles.removeAll()
                state.lastFlush = now
            }
            return Array(state.handles)
        }
    }
}
