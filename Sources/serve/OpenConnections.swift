import NIOCore
import Synchronization

/// The connections a serve process has open: capped at ``ServeConfiguration/maxConnections``,
/// and asked to finish when serve stops.
///
/// Stopping sends each connection NIO's `ChannelShouldQuiesceEvent`, which Hummingbird's
/// connection state handler (in each pipeline) answers by closing an idle connection at once and
/// a busy one after its response; connections still open after the shutdown timeout are closed. Doing it here rather than with NIO's server-channel quiescing helper works the same
/// for connections accepted from a shared socket (``SharedSocketAcceptor``), which never pass
/// through a server channel.
final class OpenConnections: Sendable {
    /// What happens to a new connection.
    enum Admission: Sendable, Equatable {
        case admitted
        /// `limit` connections are open: refuse it.
        case overLimit
        /// serve is stopping: close it unanswered (the client retries elsewhere).
        case stopping
    }

    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var isStopping = false
        var accepted = 0
        /// ``allClosed()`` callers, resumed when the last connection closes.
        var waiting: [CheckedContinuation<Void, Never>] = []

        /// Removes `id`; returns the waiters to resume when it was the last one.
        mutating func remove(_ id: ObjectIdentifier) -> [CheckedContinuation<Void, Never>] {
            channels.removeValue(forKey: id)
            guard channels.isEmpty else { return [] }
            defer { waiting.removeAll() }
            return waiting
        }
    }

    let limit: Int
    private let state = Mutex(State())

    init(limit: Int) {
        self.limit = limit
    }

    /// Counts `channel` as open until it closes, unless serve is full or stopping.
    func admit(_ channel: any Channel) -> Admission {
        let id = ObjectIdentifier(channel)
        let admission = state.withLock { state -> Admission in
            state.accepted += 1
            if state.isStopping { return .stopping }
            guard state.channels.count < limit else { return .overLimit }
            state.channels[id] = channel
            return .admitted
        }
        if admission == .admitted {
            channel.closeFuture.whenComplete { _ in
                for waiter in self.state.withLock({ $0.remove(id) }) { waiter.resume() }
            }
        }
        return admission
    }

    /// Asks every open connection to finish, turns new ones away, and closes whatever is still
    /// open after `deadline`: a response stalled by a client that stopped reading, or one that
    /// simply takes longer. Closing makes its writes fail, so its handler ends normally.
    func stopAll(closingAfter deadline: Duration, on eventLoop: any EventLoop) {
        let channels = state.withLock { state in
            state.isStopping = true
            return Array(state.channels.values)
        }
        for channel in channels { channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent()) }
        eventLoop.scheduleTask(in: TimeAmount(deadline)) {
            let remaining = self.state.withLock { Array($0.channels.values) }
            for channel in remaining { channel.close(promise: nil) }
        }
    }

    /// Returns once no connection is open (at once when none is). Call it after accepting
    /// stopped, so none can follow.
    func allClosed() async {
        await withCheckedContinuation { continuation in
            let none = state.withLock { state in
                if state.channels.isEmpty { return true }
                state.waiting.append(continuation)
                return false
            }
            if none { continuation.resume() }
        }
    }

    /// Connections open now.
    var count: Int { state.withLock { $0.channels.count } }

    /// Connections accepted since the start, refused ones included.
    var accepted: Int { state.withLock { $0.accepted } }
}
