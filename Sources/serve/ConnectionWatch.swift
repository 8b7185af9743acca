import Synchronization

/// Tells a live request that its client went away, without reading the connection's requests.
///
/// Hummingbird's `consumeWithCancellationOnInboundClose` notices a closed connection by iterating
/// the inbound request parts itself, and cancels that iteration when the operation ends; the
/// cancelled iterator then finishes the connection's request stream, so every live response
/// closed the TCP connection (issue 9), and a pipelined next request was swallowed. Instead,
/// ``ConnectionGuard`` reports end of input and channel closure here from the event loop, and a
/// waiting request registers what to do then (``onClose(_:)``): ``LiveNotifier`` resumes its
/// wait. The connection stays usable for the next request.
///
/// A registration is one closure in a table, not a task: a parked long-poll costs no task or
/// stream of its own here (issue 11: idle live connections).
final class ConnectionWatch: Sendable {
    private struct State {
        var isClosed = false
        var actions: [UInt64: @Sendable () -> Void] = [:]
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    init() {}

    /// True once the client closed its side or the connection is gone.
    var isPeerClosed: Bool { state.withLock { $0.isClosed } }

    /// Called by the connection's pipeline when input ends or the channel closes; runs every
    /// action registered with ``onClose(_:)`` (once).
    func peerClosed() {
        let actions = state.withLock { state in
            state.isClosed = true
            defer { state.actions.removeAll() }
            return Array(state.actions.values)
        }
        for action in actions { action() }
    }

    /// Registers `action` to run when the client goes away; returns its token for
    /// ``cancelOnClose(_:)``, or nil (and does not run it) when the client is gone already.
    func onClose(_ action: @escaping @Sendable () -> Void) -> UInt64? {
        state.withLock { state in
            guard !state.isClosed else { return nil }
            state.nextID += 1
            state.actions[state.nextID] = action
            return state.nextID
        }
    }

    /// Drops a registration whose wait ended otherwise, so nothing accumulates over the many
    /// requests of one keep-alive connection.
    func cancelOnClose(_ token: UInt64) {
        _ = state.withLock { $0.actions.removeValue(forKey: token) }
    }

    /// Registrations waiting now (for tests: a finished request leaves none behind).
    var waiterCount: Int { state.withLock { $0.actions.count } }
}
