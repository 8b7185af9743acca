import Dispatch
import Foundation
import Synchronization

/// A fixed set of threads that run blocking jobs (catalog queries, DDL, snapshots) off router's
/// routing loop, each with a context of its own (a database connection) that never leaves its
/// thread.
///
/// The queue is bounded: ``submit(_:)`` returns false when it is full, and the caller answers
/// "try again later" instead of letting work (and memory) pile up behind a slow database.
final class WorkerPool<Context>: Sendable {
    typealias Job = @Sendable (Context) -> Void

    private let queue = Mutex<[Job]>([])
    private let capacity: Int
    private let wakeup = DispatchSemaphore(value: 0)
    private let stopped = Atomic<Bool>(false)

    /// Starts `threads` threads; each calls `makeContext` once, on itself.
    init(name: String, threads: Int, capacity: Int, makeContext: @escaping @Sendable () -> Context) {
        self.capacity = capacity
        for index in 0..<max(threads, 1) {
            let thread = Thread { [self] in
                let context = makeContext()
                while true {
                    wakeup.wait()
                    if stopped.load(ordering: .relaxed) { return }
                    let job = queue.withLock { jobs in jobs.isEmpty ? nil : jobs.removeFirst() }
                    job?(context)
                }
            }
            thread.name = "\(name)-\(index)"
            // Where clauses are parsed and checked recursively (depth-limited): give room.
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// Queues `job`; false when the queue is full.
    @discardableResult
    func submit(_ job: @escaping Job) -> Bool {
        let accepted = queue.withLock { jobs -> Bool in
            guard jobs.count < capacity else { return false }
            jobs.append(job)
            return true
        }
        if accepted { wakeup.signal() }
        return accepted
    }

    /// Jobs waiting for a thread.
    var queuedCount: Int { queue.withLock { $0.count } }

    /// Lets the threads end after their current job; queued jobs are dropped.
    func stop(threads: Int) {
        stopped.store(true, ordering: .relaxed)
        queue.withLock { $0.removeAll() }
        for _ in 0..<threads { wakeup.signal() }
    }
}
