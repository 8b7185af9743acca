import ConduitCore
import Foundation
import Logging
import Synchronization

/// A full disk, as router lives through it: logged once when routing pauses and once when a
/// commit succeeds again, however many retries lie between.
final class StoragePause: Sendable {
    /// Free bytes router waits for before it retries.
    static let minimumFreeBytes: UInt64 = 4 << 20

    private let isPaused = Atomic<Bool>(false)
    private let logger: Logger

    init(logger: Logger) { self.logger = logger }

    func paused(_ error: any Error) {
        guard !isPaused.exchange(true, ordering: .relaxed) else { return }
        logger.error(
            "Storage is full; routing paused, nothing is lost, retrying until space is freed",
            metadata: [LogKey.error: "\(error)"])
    }

    /// A group commit succeeded.
    func progressed() {
        guard isPaused.exchange(false, ordering: .relaxed) else { return }
        logger.info("Storage has room again; routing resumed")
    }

    /// Whether the file system holding `directory` has room for router to go on.
    static func hasRoom(_ directory: String) -> Bool {
        var info = statvfs()
        guard statvfs(directory, &info) == 0 else { return true }
        return UInt64(info.f_bavail) * UInt64(info.f_frsize) >= minimumFreeBytes
    }
}
