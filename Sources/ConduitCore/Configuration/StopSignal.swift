import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// SIGTERM/SIGINT turned into a flag that blocking loops poll, so a process finishes its current
/// step (a group commit, a transaction) and exits cleanly instead of dying mid-write.
public final class StopSignal {
    private let state = StopFlag()
    private let sources: [any DispatchSourceSignal]

    /// Installs handlers for SIGTERM and SIGINT. Keep the instance alive for the process's life.
    public init(onStop: @escaping @Sendable () -> Void = {}) {
        let state = self.state
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                state.flag.store(true, ordering: .relaxed)
                onStop()
            }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    /// True once a stop was requested.
    public var isRequested: Bool { state.flag.load(ordering: .relaxed) }

    /// Requests a stop from inside the process.
    public func request() { state.flag.store(true, ordering: .relaxed) }
}

private final class StopFlag: Sendable {
    let flag = Atomic<Bool>(false)
}
