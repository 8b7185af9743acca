import ConduitCore
import Logging
import Synchronization

/// How router answered a shape request.
public enum ShapeResolution: Sendable, Hashable {
    /// The shape's handle (nil when a lookup found none).
    case handle(String?)
    /// The definition is invalid (400) or cannot be checked now (503).
    case invalid(status: Int, field: String?, message: String)
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
    private let client: IPCClient<RouterMessage>
    private let pending: PendingRequests
    private let nextID = Atomic<UInt64>(1)

    /// - Parameter onNotification: receives `shapeAdvanced`, `shapeRemoved` and `lastSeenLSN`
    ///   messages on the client's thread; `onConnectionChange` receives true/false on (dis)connect.
    public init(
        socketPath: String,
        logger: Logger,
        onConnectionChange: @escaping @Sendable (Bool) -> Void = { _ in },
        onNotification: @escaping @Sendable (RouterMessage) -> Void
    ) {
        let pending = PendingRequests()
        self.pending = pending
        self.client = IPCClient<RouterMessage>(
            path: socketPath,
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
                case .shapeReply(let id, let handle):
                    pending.table.withLock { $0.removeValue(forKey: id) }?.resume(returning: .handle(handle))
                case .shapeError(let id, let status, let field, let text):
                    pending.table.withLock { $0.removeValue(forKey: id) }?
                        .resume(returning: .invalid(status: status, field: field, message: text))
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
        try await request(timeout: timeout) { .getOrCreateShape(requestID: $0, definition: definition) }
    }

    /// Finds the shape for `definition` without creating one.
    public func lookupShape(_ definition: ShapeDefinition, timeout: Duration = .seconds(30)) async throws
        -> ShapeResolution
    {
        try await request(timeout: timeout) { .lookupShape(requestID: $0, definition: definition) }
    }

    private func request(timeout: Duration, _ make: (UInt64) -> RouterMessage) async throws -> ShapeResolution {
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

    public func close() { client.close() }
}

/// Continuations of requests waiting for router's reply, keyed by request id.
private final class PendingRequests: Sendable {
    let table = Mutex<[UInt64: CheckedContinuation<ShapeResolution, any Error>]>([:])
}
