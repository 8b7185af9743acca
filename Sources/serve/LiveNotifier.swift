import ConduitCore
import Synchronization

/// Wakes live requests waiting on a shape when router reports progress, and remembers what
/// router last said about the replication stream and its own connection.
///
/// Waiters are continuations keyed by handle and by a per-wait id, so a notification wakes every
/// waiter of that handle at once and a cancelled or timed-out wait removes only itself. Waits are
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

    /// One wait: created before its continuation exists, so a cancellation that arrives first
    /// is remembered in `isCancelled`; removed as soon as it is resumed, so nothing leaks.
    private struct Waiter {
        var handle: String
        var continuation: CheckedContinuation<Wake, Never>?
        var isCancelled = false
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
        let continuations = state.withLock { state in
            state.isShuttingDown = true
            let ready = state.waiters.values.compactMap(\.continuation)
            for (id, waiter) in state.waiters where waiter.continuation != nil { _ = state.take(id) }
            return ready
        }
        for continuation in continuations { continuation.resume(returning: .shuttingDown) }
    }

    /// Feeds one router notification in (from ``RouterClient``'s callback thread).
    func receive(_ message: RouterToServe) {
        switch message {
        case .shapeAdvanced(let handle):
            wakeAll(handle, with: .advanced, markRemoved: false)
        case .shapeRemoved(let handle):
            wakeAll(handle, with: .removed, markRemoved: true)
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

    /// Waits until `handle` advances past `generation` or is removed, `timeout` passes, or the
    /// task is cancelled.
    func wait(for handle: String, since generation: UInt64, timeout: Duration) async -> Wake {
        if isRemoved(handle) { return .removed }
        if isShuttingDown { return .shuttingDown }
        return await withTaskGroup(of: Wake.self) { group in
            group.addTask { await self.waitForNotification(handle, since: generation) }
            group.addTask {
                do {
                    try await Task.sleep(for: timeout)
                    return .timedOut
                } catch {
                    return .cancelled
                }
            }
            let first = await group.next() ?? .cancelled
            group.cancelAll()
            return first
        }
    }

    private func waitForNotification(_ handle: String, since generation: UInt64) async -> Wake {
        let id = state.withLock { state in
            state.nextID += 1
            state.waiters[state.nextID] = Waiter(handle: handle)
            state.idsByHandle[handle, default: []].insert(state.nextID)
            return state.nextID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow: Wake? = state.withLock { state in
                    guard let waiter = state.waiters[id] else { return .cancelled }
                    if waiter.isCancelled {
                        _ = state.take(id)
                        return .cancelled
                    }
                    if state.removed.contains(handle) {
                        _ = state.take(id)
                        return .removed
                    }
                    if state.isShuttingDown {
                        _ = state.take(id)
                        return .shuttingDown
                    }
                    if state.generations[handle] ?? 0 > generation {
                        _ = state.take(id)
                        return .advanced
                    }
                    state.waiters[id]?.continuation = continuation
                    return nil
                }
                if let resumeNow { continuation.resume(returning: resumeNow) }
            }
        } onCancel: {
            let continuation = state.withLock { state -> CheckedContinuation<Wake, Never>? in
                guard let waiter = state.waiters[id] else { return nil }
                guard let continuation = waiter.continuation else {
                    state.waiters[id]?.isCancelled = true
                    return nil
                }
                _ = state.take(id)
                return continuation
            }
            continuation?.resume(returning: .cancelled)
        }
    }

    private func wakeAll(_ handle: String, with wake: Wake, markRemoved: Bool) {
        let continuations = state.withLock { state in
            if markRemoved { state.removed.insert(handle) }
            state.generations[handle, default: 0] += 1
            var ready: [CheckedContinuation<Wake, Never>] = []
            for id in state.idsByHandle[handle] ?? [] {
                // A wait whose continuation is not registered yet sees the new generation (or
                // `removed`) when it registers, so the wake-up is not lost.
                if let continuation = state.waiters[id]?.continuation {
                    _ = state.take(id)
                    ready.append(continuation)
                }
            }
            return ready
        }
        for continuation in continuations { continuation.resume(returning: wake) }
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
