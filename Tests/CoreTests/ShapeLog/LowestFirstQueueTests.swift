import TestSupport
import Testing

@testable import ConduitCore

struct LowestFirstQueueTests {
    @Test func handsOutTheLowestFirst() {
        var queue = LowestFirstQueue([9, 3, 7, 3, 0, 12])
        queue.insert(5)
        queue.insert(1)
        var popped: [Int] = []
        while let record = queue.popLowest() { popped.append(record) }
        #expect(popped == [0, 1, 3, 3, 5, 7, 9, 12])
        #expect(queue.isEmpty && queue.popLowest() == nil)
    }

    /// Against a sorted array, over random interleavings of inserts and pops.
    @Test(arguments: 0..<20)
    func agreesWithASortedArray(seed: UInt64) {
        var generator = SeededTestRandom(seed: seed)
        var queue = LowestFirstQueue((0..<Int(generator.next() % 50)).map { _ in Int(generator.next() % 1000) })
        var oracle: [Int] = []
        var copy = queue
        while let record = copy.popLowest() { oracle.append(record) }
        for _ in 0..<500 {
            if generator.next() % 3 == 0 {
                #expect(queue.popLowest() == (oracle.isEmpty ? nil : oracle.removeFirst()))
            } else {
                let record = Int(generator.next() % 1000)
                queue.insert(record)
                oracle.insert(record, at: oracle.firstIndex { $0 > record } ?? oracle.count)
            }
            #expect(queue.count == oracle.count)
        }
    }
}
