import Synchronization

/// A counter of things in progress that refuses instead of queueing once `limit` are in progress
/// (shape lookups waiting on router).
///
/// Refusing at once is the point: a queue in front of a slow router or a full process only turns
/// overload into memory and latency, while a 503 with `retry-after` spreads the load over time
/// and over other serve processes.
final class ConcurrencyLimit: Sendable {
    let limit: Int
    private let inProgress = Atomic<Int>(0)

    init(limit: Int) {
        self.limit = limit
    }

    /// Takes a place, or returns false when `limit` are taken.
    private func tryAcquire() -> Bool {
        guard inProgress.wrappingAdd(1, ordering: .acquiringAndReleasing).newValue > limit else { return true }
        inProgress.wrappingSubtract(1, ordering: .acquiringAndReleasing)
        return false
    }

    private func release() {
        inProgress.wrappingSubtract(1, ordering: .acquiringAndReleasing)
    }

    /// Runs `body` holding a place; nil, without running it, when none is free.
    func withPlace<T: Sendable>(_ body: () async throws -> T) async rethrows -> T? {
        guard tryAcquire() else { return nil }
        defer { release() }
        return try await body()
    }

    /// Places taken now.
    var current: Int { inProgress.load(ordering: .relaxed) }
}
