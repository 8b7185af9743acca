import Dispatch
import Synchronization

/// Runs independent jobs on worker threads and hands their results to the calling thread in job
/// order as they become ready, so that the caller's serial part (router registering the shapes it
/// loads at start-up) overlaps the workers' parallel part instead of following it.
///
/// Jobs go in chunks of ``chunkSize``: chunk `c` to worker `c % workers`, which runs its chunks
/// in order and signals its semaphore once per chunk, so the caller waits once per chunk (not per
/// job) and only for the chunk it needs next. Slot `i` is written once, by its worker, before the
/// signal that publishes its chunk, and read by the caller only after waiting for that signal: no
/// two threads touch a slot at once.
enum InOrderPipeline {
    static let chunkSize = 64

    /// Runs `job` for `0..<count` on `workers` threads and `consume` for each index and result, in
    /// index order, on this thread. When `consume` throws, the workers stop at their next job and
    /// the error is rethrown once they have.
    static func run<Result>(
        count: Int, workers: Int, job: @escaping @Sendable (Int) -> Result, consume: (Int, Result) throws -> Void
    ) rethrows {
        let slots = Slots<Result>(count: count, workers: max(1, workers))
        let group = DispatchGroup()
        for worker in 0..<slots.workers {
            DispatchQueue.global(qos: .userInitiated).async(group: group) { slots.fill(worker: worker, job) }
        }
        defer {
            slots.cancel()
            group.wait()
        }
        for index in 0..<count { try consume(index, slots.take(index)) }
    }

    private final class Slots<Result>: @unchecked Sendable {
        let workers: Int
        private let slots: UnsafeMutableBufferPointer<Result?>
        private let chunksDone: [DispatchSemaphore]
        private let cancelled = Atomic<Bool>(false)

        init(count: Int, workers: Int) {
            self.workers = workers
            slots = .allocate(capacity: count)
            slots.initialize(repeating: nil)
            chunksDone = (0..<workers).map { _ in DispatchSemaphore(value: 0) }
        }

        deinit {
            slots.deinitialize()
            slots.deallocate()
        }

        func fill(worker: Int, _ job: (Int) -> Result) {
            for chunkStart in stride(from: worker * chunkSize, to: slots.count, by: workers * chunkSize) {
                for index in chunkStart..<min(chunkStart + chunkSize, slots.count) {
                    if cancelled.load(ordering: .relaxed) { return }
                    slots[index] = job(index)
                }
                chunksDone[worker].signal()
            }
        }

        /// Called for 0, 1, 2, … in order; waits at the first job of each chunk.
        func take(_ index: Int) -> Result {
            if index % chunkSize == 0 { chunksDone[index / chunkSize % workers].wait() }
            guard let result = slots[index] else { preconditionFailure("job \(index) did not run") }
            slots[index] = nil
            return result
        }

        func cancel() {
            cancelled.store(true, ordering: .relaxed)
        }
    }
}
