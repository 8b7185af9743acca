/// Record numbers waiting to be reused, handed out lowest first: a binary min-heap.
///
/// ``ShapeStateTable`` reuses the lowest free record so its file stays compact. A sorted array
/// cost a sort per freed record; removing every shape at once (a stream reset with 100,000
/// shapes) made that quadratic. Here freeing and reusing are O(log n).
struct LowestFirstQueue {
    private var heap: [Int] = []

    init() {}

    /// The queue of `records` (any order).
    init(_ records: some Sequence<Int>) {
        heap = Array(records)
        for index in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftDown(from: index) }
    }

    var count: Int { heap.count }
    var isEmpty: Bool { heap.isEmpty }

    mutating func insert(_ record: Int) {
        heap.append(record)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child] < heap[parent] else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the lowest record, nil when empty.
    mutating func popLowest() -> Int? {
        guard let last = heap.popLast() else { return nil }
        guard !heap.isEmpty else { return last }
        let lowest = heap[0]
        heap[0] = last
        siftDown(from: 0)
        return lowest
    }

    private mutating func siftDown(from start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { return }
            let right = left + 1
            let child = right < heap.count && heap[right] < heap[left] ? right : left
            guard heap[child] < heap[parent] else { return }
            heap.swapAt(child, parent)
            parent = child
        }
    }
}
