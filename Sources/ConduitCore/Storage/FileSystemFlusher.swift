import Dispatch
import Synchronization

#if canImport(Glibc)
    @preconcurrency import Glibc
#else
    import Darwin
#endif

/// Flushes one file system (`syncfs`) on a thread of its own, one flush at a time, so that the
/// thread that asked goes on working while the kernel writes back.
///
/// router's group commit over 10,000 shapes spent about 0.2 s in `syncfs`, waiting on the disk
/// with its loop stopped; started here, the loop routes the next transactions meanwhile
/// (``ChangeLogGroupCommit`` holds the commit's steps apart for that).
public final class FileSystemFlusher: Sendable {
    /// How a flush ended, and when (``MonotonicClock`` seconds).
    public struct Outcome: Sendable {
        public var result: Result<Void, FileError>
        public var finishedAt: Double
    }

    private enum State: Sendable {
        case idle
        case running
        case finished(Outcome)
    }

    /// A descriptor on the file system: its own, so no descriptor cache can close it mid-flush.
    private let directory: PosixFile
    private let queue = DispatchQueue(label: "conduit.syncfs")
    private let state = Mutex<State>(.idle)
    private let finished = DispatchSemaphore(value: 0)
    private let onFinish: @Sendable () -> Void

    /// A flusher for the file system holding `path` (a directory); nil where the platform has no
    /// `syncfs` (flush file by file instead). `onFinish` runs on the flushing thread after each
    /// flush, before ``poll()`` or ``wait()`` return its outcome (router wakes its loop with it).
    public init?(directory path: String, onFinish: @escaping @Sendable () -> Void = {}) throws(FileError) {
        guard PosixFile.syncsFileSystems else { return nil }
        self.directory = try PosixFile(path: path, flags: O_RDONLY | O_DIRECTORY)
        self.onFinish = onFinish
    }

    /// True from ``start()`` until ``poll()`` or ``wait()`` returned its outcome.
    public var isBusy: Bool {
        state.withLock { if case .idle = $0 { false } else { true } }
    }

    /// Starts a flush of everything written so far. At most one at a time: call again only after
    /// ``poll()`` or ``wait()`` returned the previous one's outcome.
    public func start() {
        state.withLock { current in
            precondition({ if case .idle = current { true } else { false } }(), "a flush is already in progress")
            current = .running
        }
        queue.async { [self] in
            let result = Result { () throws(FileError) in _ = try directory.syncFileSystem() }
            state.withLock { $0 = .finished(Outcome(result: result, finishedAt: MonotonicClock.seconds())) }
            onFinish()
            finished.signal()
        }
    }

    /// The finished flush's outcome, without waiting; nil while it runs or when none was started.
    public func poll() -> Outcome? {
        guard let outcome = take() else { return nil }
        finished.wait()  // this flush's signal, which follows its outcome at once
        return outcome
    }

    /// Waits for the flush started last and returns its outcome (nil when none was started).
    public func wait() -> Outcome? {
        guard isBusy else { return nil }
        finished.wait()
        return take()
    }

    private func take() -> Outcome? {
        state.withLock { current in
            guard case .finished(let outcome) = current else { return nil }
            current = .idle
            return outcome
        }
    }
}
