import ConduitCore
import NIOCore
import NIOPosix
import Synchronization

/// Wakes live requests waiting on a shape when router reports progress, and remembers what
/// router last said about the replication stream and its own connection.
///
/// Waiters are callbacks (or a task's continuation, for ``wait(for:since:timeout:connection:)``)
/// keyed by handle and by a per-wait id, so a notification wakes every waiter of that handle at
/// once and a cancelled or timed-out wait removes only itself. Waits are
/// always bounded by a timeout: callers re-check the shape log after every wake-up, so a lost
/// notification (or router being down) delays a response by at most one wait slice.
final class LiveNotifier: Sendable {
    /// Why a wait ended.
    enum Wake: Sendable, Hashable {
        case advanced
        case removed
        case timedOut
        case cancelled
        /// serve is stopping: answer now (see ``beginShutdown()``).
        case shuttingDown
    }

    /// One wait: created before its callback exists (an async wait registers its continuation
    /// in a second step), so a cancellation that arrives first is remembered in `isCancelled`;
    /// removed as soon as it is resumed, so nothing leaks.
    private struct Waiter {
        var handle: String
        var resume: (@Sendable (Wake) -> Void)?
        var isCancelled = false
        /// The timeout, armed once the callback is registered.
        var timer: Scheduled<Void>?
        /// The client connection's close registration (``ConnectionWatch/onClose(_:)``).
        var connection: ConnectionWatch?
        var closeToken: UInt64?

        /// Disarms the timeout and the close registration (outside the lock) and resumes.
        func finish(_ wake: Wake) {
            timer?.cancel()
            if let connection, let closeToken { connection.cancelOnClose(closeToken) }
            resume?(wake)
        }
    }

    private struct State {
        var waiters: [UInt64: Waiter] = [:]
        var idsByHandle: [String: Set<UInt64>] = [:]
        /// Handles router reported removed; never served again by this process.
        var removed: Set<String> = []
        /// Advances seen per handle: a waiter that read the log at generation `g` and finds a
        /// larger one when it registers returns at once instead of missing the notification.
        var generations: [String: UInt64] = [:]
        var nextID: UInt64 = 0
        var isShuttingDown = false

        mutating func take(_ id: UInt64) -> Waiter? {
            guard let waiter = waiters.removeValue(forKey: id) else { return nil }
            idsByHandle[waiter.handle]?.remove(id)
            if idsByHandle[waiter.handle]?.isEmpty == true { idsByHandle[waiter.handle] = nil }
            return waiter
        }
    }

    private let state = Mutex(State())
    private let lastSeen = Atomic<UInt64>(0)
    private let routerConnected = Atomic<Bool>(false)
    /// router said `ready` on the current connection.
    private let routerReady = Atomic<Bool>(false)
    /// router was ready at some point in this process's life.
    private let routerWasReady = Atomic<Bool>(false)

    /// The highest `lastSeenLSN` router reported, nil before the first report.
    var lastSeenLSN: LSN? {
        let value = lastSeen.load(ordering: .relaxed)
        return value == 0 ? nil : LSN(value)
    }

    var isRouterConnected: Bool { routerConnected.load(ordering: .relaxed) }

    /// True from router's `ready` until the connection drops: shape requests are answered now.
    var isRouterReady: Bool { routerReady.load(ordering: .relaxed) }

    /// True once router was ready at least once (a later loss is an outage, not a start).
    var wasRouterReady: Bool { routerWasReady.load(ordering: .relaxed) }

    func isRemoved(_ handle: String) -> Bool { state.withLock { $0.removed.contains(handle) } }

    var isShuttingDown: Bool { state.withLock { $0.isShuttingDown } }

    /// Wakes every waiter with ``Wake/shuttingDown``, and makes every later wait return it at
    /// once: on SIGTERM, live long-polls answer their normal `up-to-date` response instead of
    /// holding the process for up to a long-poll timeout, and SSE streams end.
    func beginShutdown() {
        let waiters = state.withLock { state in
            state.isShuttingDown = true
            let ready = state.waiters.filter { $0.value.resume != nil }
            for id in ready.keys { _ = state.take(id) }
            return Array(ready.values)
        }
        for waiter in waiters { waiter.finish(.shuttingDown) }
    }

    /// Feeds one router notification in (from ``RouterClient``'s callback thread).
    func receive(_ message: RouterToServe) {
        switch message {
        case .shapeAdvanced(let handle):
            wakeAll([handle], with: .advanced, markRemoved: false)
        case .shapesAdvanced(let handles):
            wakeAll(handles, with: .advanced, markRemoved: false)
        case .shapeRemoved(let handle):
            wakeAll([handle], with: .removed, markRemoved: true)
        case .lastSeenLSN(let lsn):
            lastSeen.max(lsn.value)
        case .ready:
            routerReady.store(true, ordering: .relaxed)
            routerWasReady.store(true, ordering: .relaxed)
        default:
            break
        }
    }

    func routerConnectionChanged(_ connected: Bool) {
        routerConnected.store(connected, ordering: .relaxed)
        if !connected { routerReady.store(false, ordering: .relaxed) }
    }

    /// The number of advances of `handle` seen so far; read it before reading the log and pass it
    /// to ``wait(for:since:timeout:)``.
    func generation(of handle: String) -> UInt64 { state.withLock { $0.generations[handle] ?? 0 } }

    /// Calls `onWake` once, when `handle` advances past `generation` or is removed, `timeout`
    /// passes, the client of `connection` goes away (``Wake/cancelled``) or serve stops; at once
    /// (on the calling thread) when one of those already happened.
    ///
    /// A parked wait is an entry in a table, a timer on an event loop and a close registration:
    /// no task, so thousands of parked long-polls cost little memory (issue 11). Whichever of
    /// notification, timeout, close or shutdown comes first takes the waiter out of the table
    /// and calls it; the others find nothing to do.
    func park(
        for handle: String,
        since generation: UInt64,
        timeout: Duration,
        connection: ConnectionWatch? = nil,
        onWake: @escaping @Sendable (Wake) -> Void
    ) {
        let id = register(handle, connection: connection)
        if let now = attach(id, handle: handle, since: generation, resume: onWake) {
            onWake(now)
            return
        }
        arm(id, timeout: timeout, connection: connection)
    }

    /// ``park(for:since:timeout:connection:onWake:)`` for a task: also ends with
    /// ``Wake/cancelled`` when the task is cancelled.
    func wait(
        for handle: String,
        since generation: UInt64,
        timeout: Duration,
        connection: ConnectionWatch? = nil
    ) async -> Wake {
        let id = register(handle, connection: connection)
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if let now = attach(id, handle: handle, since: generation, resume: { continuation.resume(returning: $0) }) {
                    continuation.resume(returning: now)
                    return
                }
                arm(id, timeout: timeout, connection: connection)
            }
        } onCancel: {
            let waiter = state.withLock { state -> Waiter? in
                guard let waiter = state.waiters[id] else { return nil }
                guard waiter.resume != nil else {
                    state.waiters[id]?.isCancelled = true
                    return nil
                }
                return state.take(id)
            }
            waiter?.finish(.cancelled)
        }
    }

    /// Enters a wait for `handle` in the table, without its callback yet.
    private func register(_ handle: String, connection: ConnectionWatch?) -> UInt64 {
        state.withLock { state in
            state.nextID += 1
            state.waiters[state.nextID] = Waiter(handle: handle, connection: connection)
            state.idsByHandle[handle, default: []].insert(state.nextID)
            return state.nextID
        }
    }

    /// Gives wait `id` its callback, unless it is over already: then it is taken out of the
    /// table and the reason returned (the caller resumes with it; nothing was armed yet).
    private func attach(_ id: UInt64, handle: String, since generation: UInt64, resume: @escaping @Sendable (Wake) -> Void) -> Wake? {
        state.withLock { state in
            guard let waiter = state.waiters[id] else { return .cancelled }
            let now: Wake?
            if waiter.isCancelled {
                now = .cancelled
            } else if state.removed.contains(handle) {
                now = .removed
            } else if state.isShuttingDown {
                now = .shuttingDown
            } else if state.generations[handle] ?? 0 > generation {
                now = .advanced
            } else {
                now = nil
            }
            if now != nil {
                _ = state.take(id)
            } else {
                state.waiters[id]?.resume = resume
            }
            return now
        }
    }

    /// Arms a registered wait's timeout and close registration; either ends it unless something
    /// else did first (then what was armed is disarmed again).
    private func arm(_ id: UInt64, timeout: Duration, connection: ConnectionWatch?) {
        let (seconds, attoseconds) = timeout.components
        let delay = TimeAmount.nanoseconds(max(0, seconds) * 1_000_000_000 + max(0, attoseconds) / 1_000_000_000)
        let timer = MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: delay) {
            self.end(id, with: .timedOut)
        }
        let closeToken = connection?.onClose { self.end(id, with: .cancelled) }
        let stillWaiting = state.withLock { state in
            guard state.waiters[id] != nil else { return false }
            state.waiters[id]?.timer = timer
            state.waiters[id]?.closeToken = closeToken
            return true
        }
        if !stillWaiting {
            timer.cancel()
            if let connection, let closeToken { connection.cancelOnClose(closeToken) }
        } else if connection != nil && closeToken == nil {
            end(id, with: .cancelled)
        }
    }

    /// Ends wait `id` with `wake`, unless it already ended.
    private func end(_ id: UInt64, with wake: Wake) {
        let waiter = state.withLock { state -> Waiter? in
            guard state.waiters[id]?.resume != nil else { return nil }
            return state.take(id)
        }
        waiter?.finish(wake)
    }

    private func wakeAll(_ handles: [String], with wake: Wake, markRemoved: Bool) {
        let waiters = state.withLock { state in
            var ready: [Waiter] = []
            for handle in handles {
                if markRemoved { state.removed.insert(handle) }
                state.generations[handle, default: 0] += 1
                for id in state.idsByHandle[handle] ?? [] {
                    // A wait whose callback is not registered yet sees the new generation (or
                    // `removed`) when it registers, so the wake-up is not lost.
                    if state.waiters[id]?.resume != nil, let waiter = state.take(id) { ready.append(waiter) }
                }
            }
            return ready
        }
        for waiter in waiters { waiter.finish(wake) }
    }

    /// Number of registered waiters (for tests).
    var waiterCount: Int { state.withLock { $0.waiters.count } }
}

extension Atomic where Value == UInt64 {
    fileprivate func max(_ value: UInt64) {
        var current = load(ordering: .relaxed)
        while value > current {
            let (exchanged, original) = compareExchange(
                expected: current,
                desired: value,
                ordering: .relaxed
            )
            if exchanged { return }
            current = original
        }
    }
}
