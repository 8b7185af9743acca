import Foundation
import ServiceLifecycle

/// A blocking loop run as a `Service`, on a thread of its own that ``run()`` starts.
///
/// ingest's replication loop (libpq, fsync) and router's routing loop block by design and must
/// never run on the cooperative pool. This gives them the lifecycle of every other service:
/// the thread is started by the service group, not by an initialiser; graceful shutdown
/// (SIGTERM/SIGINT) and cancellation both set the loop's ``StopSignal``, the loop finishes its
/// current step and returns, and ``run()`` returns (or rethrows the loop's error).
public final class ThreadService: Service, Sendable {
    public let name: String
    public let stop: StopSignal
    private let body: @Sendable (StopSignal) throws -> Void

    /// - Parameters:
    ///   - name: the thread's name (seen in `top -H` and debuggers).
    ///   - body: the loop; it must return soon after `stop` is requested.
    public init(name: String, stop: StopSignal = StopSignal(), body: @escaping @Sendable (StopSignal) throws -> Void) {
        self.name = name
        self.stop = stop
        self.body = body
    }

    public func run() async throws {
        let stop = self.stop
        let body = self.body
        let name = self.name
        try await withGracefulShutdownHandler {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    let thread = Thread {
                        do {
                            try body(stop)
                            continuation.resume()
                        } catch {
                            continuation.resume(throwing: error)
                        }
                    }
                    thread.name = name
                    thread.start()
                }
            } onCancel: {
                stop.request()
            }
        } onGracefulShutdown: {
            SystemdNotifier.stopping()
            stop.request()
        }
    }
}
