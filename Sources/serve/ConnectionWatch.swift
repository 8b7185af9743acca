import Synchronization

/// Tells a live request that its client went away, without reading the connection's requests.
///
/// Hummingbird's `consumeWithCancellationOnInboundClose` notices a closed connection by iterating
/// the inbound request parts itself, and cancels that iteration when the operation ends; the
/// cancelled iterator then finishes the connection's request stream, so every live response
/// closed the TCP connection (issue 9), and a pipelined next request was swallowed. Instead,
/// ``ConnectionGuard`` reports end of input and channel closure here from the event loop, and
/// ``whileConnected(_:)`` races the operation against that report. The connection stays usable
/// for the next request.
final class ConnectionWatch: Sendable {
    private struct State {
        var isClosed = false
        var waiters: [UInt64: AsyncStream<Never>.Continuation] = [:]
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    init() {}

    /// True once the client closed its side or the connection is gone.
    var isPeerClosed: Bool { state.withLock { $0.isClosed } }

    /// Called by the connection's pipeline when input ends or the channel closes; wakes every
    /// ``whileConnected(_:)`` of the connection.
    func peerClosed() {
        let waiters = state.withLock { state in
            state.isClosed = true
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.finish() }
    }

    /// Runs `operation`, cancelling it when the client goes away.
    /// - Throws: `CancellationError` when the client went away first, or what `operation` throws.
    func whileConnected<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await operation() }
            group.addTask {
                await self.waitUntilClosed()
                return nil
            }
            defer { group.cancelAll() }
            guard case let value?? = try await group.next() else { throw CancellationError() }
            return value
        }
    }

    /// Returns when the peer closes or the task is cancelled.
    ///
    /// The stream never carries an element: it is only a cancellable place to wait, finished by
    /// ``peerClosed()`` and dropped from the table when the wait ends, so nothing accumulates over
    /// the many requests of one keep-alive connection.
    private func waitUntilClosed() async {
        let (stream, continuation) = AsyncStream<Never>.makeStream()
        let id: UInt64? = state.withLock { state in
            guard !state.isClosed else { return nil }
            state.nextID += 1
            state.waiters[state.nextID] = continuation
            return state.nextID
        }
        guard let id else { return }
        for await _ in stream {}
        _ = state.withLock { $0.waiters.removeValue(forKey: id) }
    }

    /// Waits registered now (for tests: a finished request leaves none behind).
    var waiterCount: Int { state.withLock { $0.waiters.count } }
}
