import Foundation

/// Runs blocking work (libpq calls, blocking sockets) on a thread of its own and awaits its
/// result. Tests run in parallel on a cooperative pool as wide as the machine's cores (two here):
/// one blocking call there stalls every other test's awaits.
public func offThePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
    }
}
