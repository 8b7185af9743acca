import ConduitCore
import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Makes spool positions durable on a thread of its own.
///
/// The replication thread hands over each group-commit position (``request(_:)``) and goes on
/// reading; this thread fdatasyncs the segment file and publishes the position through
/// `onDurable`. Requests that arrive while a sync runs are coalesced: the next sync covers the
/// latest one. A failed fsync leaves the page cache's state unknown, so it is fatal for the
/// process (`onFailure`): after a restart, recovery works from what is really on disk.
public final class SpoolSyncer: Sendable {
    private let state = Mutex<State>(State())
    private let wakeup = DispatchSemaphore(value: 0)
    private let directory: String

    private struct State {
        var requested: SpoolDurablePosition?
        var presync: LSN?
        var durable: SpoolDurablePosition?
        var stopped = false
    }

    private let onDurable: @Sendable (SpoolDurablePosition) -> Void
    private let onFailure: @Sendable (String) -> Void

    /// Nothing is synced until ``start()``.
    public init(
        directory: String,
        onDurable: @escaping @Sendable (SpoolDurablePosition) -> Void,
        onFailure: @escaping @Sendable (String) -> Void
    ) {
        self.directory = directory
        self.onDurable = onDurable
        self.onFailure = onFailure
    }

    /// Starts the syncing thread; called once by its owner (ingest's replication service).
    public func start() {
        let directory = self.directory
        let onDurable = self.onDurable
        let onFailure = self.onFailure
        let thread = Thread { [self] in
            var file: (segment: LSN, handle: PosixFile)?
            /// The open segment `segment`, reopened when the writer rotated to another one.
            func segmentFile(_ segment: LSN) throws(FileError) -> PosixFile {
                if let open = file, open.segment == segment { return open.handle }
                let handle = try PosixFile.openForReading(SpoolDirectory.path(of: segment, in: directory))
                file = (segment, handle)
                return handle
            }
            while true {
                wakeup.wait()
                let (next, presync, stopped) = state.withLock { state in
                    defer {
                        state.requested = nil
                        state.presync = nil
                    }
                    return (state.requested, state.presync, state.stopped)
                }
                if next == nil, let segment = presync {
                    // Inside a large transaction: flush what is written so far, publishing nothing,
                    // so the fsync at its commit has little left to do. A failure here is retried
                    // by the commit's own sync, which is the one that counts.
                    try? segmentFile(segment).syncData()
                }
                if let position = next {
                    do {
                        Failpoint.hit("spool.before-fsync")
                        try segmentFile(position.segment).syncData()
                        Failpoint.hit("spool.after-fsync")
                    } catch {
                        onFailure("cannot make spool segment \(position.segment.paddedHex) durable: \(error)")
                        return
                    }
                    state.withLock { $0.durable = position }
                    onDurable(position)
                }
                if stopped && next == nil { return }
            }
        }
        thread.name = "spool-sync"
        thread.start()
    }

    /// Asks for `position` (and everything before it) to be made durable.
    ///
    /// Positions are compared in spool order (segment, offset), not by LSN: a stream reset may
    /// move LSNs backwards, never the spool.
    public func request(_ position: SpoolDurablePosition) {
        state.withLock { state in
            if let current = state.requested, current.position > position.position { return }
            state.requested = position
        }
        wakeup.signal()
    }

    /// Asks for the bytes written so far to `segment` to be flushed ahead of the next commit,
    /// without publishing anything (a hint: skipped when a real request is pending).
    public func presync(segment: LSN) {
        state.withLock { $0.presync = segment }
        wakeup.signal()
    }

    /// The latest position known to be on disk.
    public var durable: SpoolDurablePosition? { state.withLock { $0.durable } }

    /// Blocks until `position` (requested before or now) is durable.
    public func waitUntilDurable(_ position: SpoolDurablePosition) {
        request(position)
        while !isDurable(position) {
            usleep(1_000)
        }
    }

    /// Whether `position` is known to be on disk.
    public func isDurable(_ position: SpoolDurablePosition) -> Bool {
        guard let durable else { return false }
        return durable.position >= position.position
    }

    /// Finishes the pending sync and stops the thread; blocks until `position` (if any) is durable.
    public func finish(waitingFor position: SpoolDurablePosition?) {
        if let position { waitUntilDurable(position) }
        state.withLock { $0.stopped = true }
        wakeup.signal()
    }
}
