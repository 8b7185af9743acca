import Foundation
import Synchronization

/// A client sending one request after another, each on a new connection, and recording how each
/// ended: for tests that kill or stop a serve process in the middle of traffic.
///
/// ```swift
/// let loop = RequestLoop.start(port: cluster.port, target: "/v1/shape?table=items&offset=-1")
/// ...
/// let outcomes = await loop.stop()
/// ```
final class RequestLoop: Sendable {
    /// How one request ended.
    enum Ending: Sendable, Equatable {
        /// A whole response with this status.
        case answered(Int)
        /// Refused, reset or closed before a byte of the response: serve had not taken the
        /// request (a client would retry it).
        case notTaken
        /// The connection ended inside a response, or the response never came.
        case broken(String)
    }

    struct Outcome: Sendable {
        var started: ContinuousClock.Instant
        var ending: Ending
    }

    private let outcomes = Mutex<[Outcome]>([])
    private let stopping = Atomic<Bool>(false)
    private let task = Mutex<Task<Void, Never>?>(nil)

    static func start(port: Int, target: String) -> RequestLoop {
        let loop = RequestLoop()
        loop.task.withLock {
            $0 = Task {
                while !loop.stopping.load(ordering: .relaxed) {
                    let started = ContinuousClock.now
                    let ending = await Self.request(port: port, target: target)
                    loop.outcomes.withLock { $0.append(Outcome(started: started, ending: ending)) }
                    // A refused connect never suspends: without a pause the loop would spin on a
                    // cooperative thread and starve every other test in the process (two such
                    // loops took both threads of a 2-core machine and hung the whole run).
                    if ending == .notTaken { try? await Task.sleep(for: .milliseconds(5)) }
                }
            }
        }
        return loop
    }

    private static func request(port: Int, target: String) async -> Ending {
        let connection: RawHTTPConnection
        do {
            connection = try RawHTTPConnection.connect(port: port)
        } catch {
            return .notTaken
        }
        defer { connection.close() }
        do {
            try connection.sendGet(target)
        } catch {
            return .notTaken
        }
        do {
            guard let response = try await connection.response(timeout: .seconds(30)) else { return .notTaken }
            return .answered(response.status)
        } catch {
            return .broken("\(error)")
        }
    }

    /// Stops after the request in progress and returns every outcome, oldest first.
    func stop() async -> [Outcome] {
        stopping.store(true, ordering: .relaxed)
        await task.withLock { $0 }?.value
        return outcomes.withLock { $0 }
    }

    /// Outcomes so far.
    var recorded: [Outcome] { outcomes.withLock { $0 } }
}
