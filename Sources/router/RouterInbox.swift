import Dispatch
import ConduitCore
import Synchronization

/// Work handed to router's main loop from the IPC threads and snapshot threads.
enum RouterCommand: Sendable {
    case shapeRequest(peer: IPCPeer<RouterMessage>, requestID: UInt64, definition: ShapeDefinition, create: Bool)
    case snapshotFailed(handle: String, reason: String)
    case snapshotFinished(handle: String)
    /// More snapshot chunks were published (serve may answer waiting initial requests).
    case snapshotProgressed(handle: String)
}

/// A thread-safe mailbox the main loop drains between spool batches, plus the latest durable
/// spool position announced by ingest. Producers wake the loop through a semaphore.
final class RouterInbox: Sendable {
    private let commands = Mutex<[RouterCommand]>([])
    private let durable = Mutex<SpoolDurablePosition?>(nil)
    private let wakeup = DispatchSemaphore(value: 0)

    func post(_ command: RouterCommand) {
        commands.withLock { $0.append(command) }
        wakeup.signal()
    }

    func durableAdvanced(_ position: SpoolDurablePosition) {
        durable.withLock { current in
            if current == nil || current!.position <= position.position { current = position }
        }
        wakeup.signal()
    }

    var durablePosition: SpoolDurablePosition? { durable.withLock { $0 } }

    func takeCommands() -> [RouterCommand] {
        commands.withLock { pending in
            defer { pending.removeAll() }
            return pending
        }
    }

    /// Blocks until something is posted or `milliseconds` pass.
    func wait(milliseconds: Int) {
        _ = wakeup.wait(timeout: .now() + .milliseconds(milliseconds))
    }
}
