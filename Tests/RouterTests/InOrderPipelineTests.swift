import Synchronization
import Testing

@testable import Router

/// router loads shape folders on worker threads and registers them in order on its own thread.
struct InOrderPipelineTests {
    struct Stop: Error, Equatable {}

    @Test(arguments: [(0, 2), (1, 2), (63, 2), (64, 1), (1000, 2), (1000, 3), (4097, 8)])
    func everyResultArrivesOnceInOrder(count: Int, workers: Int) {
        var seen: [Int] = []
        InOrderPipeline.run(count: count, workers: workers, job: { index in index * 3 }) { index, result in
            #expect(result == index * 3)
            seen.append(index)
        }
        #expect(seen == Array(0..<count))
    }

    /// A consumer that throws stops the workers: the error comes back once no job is running,
    /// and the remaining jobs never start.
    @Test func aThrowingConsumerStopsTheWorkers() {
        let running = Atomic<Int>(0)
        let started = Atomic<Int>(0)
        let count = 1_000_000
        #expect(throws: Stop.self) {
            try InOrderPipeline.run(
                count: count, workers: 2,
                job: { index in
                    started.add(1, ordering: .relaxed)
                    running.add(1, ordering: .relaxed)
                    defer { running.subtract(1, ordering: .relaxed) }
                    return (0..<50).reduce(index) { $0 &* 31 &+ $1 }
                }
            ) { index, _ in
                if index == 70 { throw Stop() }
            }
        }
        #expect(running.load(ordering: .relaxed) == 0)
        #expect(started.load(ordering: .relaxed) < count)
    }
}
